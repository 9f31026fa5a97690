#!/bin/sh
# authgate as a plain CGI program: under lighttpd's mod_cgi with
# etc/lighttpd/authgate-cgi.conf unchanged, and run directly with a CGI
# environment (no web server).
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_tmpdir
ag_setup_conf
ag_init
ag_user alice alice-pw "read write"

# cgi_run METHOD PATH_INFO BODY [AUTHORIZATION] [CONTENT_TYPE]: authgate
# once, as a CGI; output in $AG_TMP/cgi.out, exit status in $CGI_RC.
cgi_run()
{
	ag_cgi "$1" "$2" "$3" "$4" "$5" timeout 10 "$AG_BIN"
	CGI_RC=$AG_CGI_RC
}
ag_add_log "$AG_TMP/cgi.err"

# -- directly, without a server
cgi_run POST /token 'grant_type=password&username=alice&password=alice-pw'
is "$CGI_RC" 0 "CGI: exit status 0"
is "$AG_STATUS" 200 "CGI token: 200"
like "$(ag_header Content-Type)" '^application/json' "CGI token: JSON type"
is "$(ag_header Cache-Control)" no-store "CGI token: no-store"
is "$(ag_json token_type)" bearer "CGI token: token_type bearer"
TOKEN=$(ag_json access_token)

cgi_run GET /protected '' "Bearer $TOKEN"
is "$AG_STATUS" 200 "CGI protected: 200"
is "$AG_BODY" \
    '{"message":"Hello, authenticated user!","sub":"alice","scope":"read write"}' \
    "CGI protected: body"

cgi_run GET /protected ''
is "$AG_STATUS" 401 "CGI protected without a token: 401"
is "$(ag_header WWW-Authenticate)" 'Bearer realm="authgate"' \
    "CGI protected without a token: WWW-Authenticate"

cgi_run POST /token 'grant_type=password&username=alice&password=bad'
is "$AG_STATUS" 400 "CGI wrong password: 400"
is "$(ag_json error)" invalid_grant "CGI wrong password: invalid_grant"

cgi_run GET /token ''
is "$AG_STATUS" 405 "CGI GET /token: 405"

cgi_run GET /elsewhere ''
is "$AG_STATUS" 404 "CGI unknown path: 404"

cgi_run POST /token '{"a":1}' '' application/json
is "$AG_STATUS" 415 "CGI JSON body: 415"

# -- under lighttpd's mod_cgi
if ! command -v lighttpd >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1
then
	skip 7 "lighttpd or curl not installed"
	ag_done
fi
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate-cgi.conf"

ag_http POST /authgate/token -d grant_type=password -d username=alice \
    -d password=alice-pw
is "$AG_STATUS" 200 "mod_cgi token: 200"
is "$(ag_header Cache-Control)" no-store "mod_cgi token: no-store"
TOKEN=$(ag_json access_token)
isnt "$TOKEN" "" "mod_cgi token: access_token"

ag_http GET /authgate/protected -H "Authorization: Bearer $TOKEN"
is "$AG_STATUS" 200 "mod_cgi protected: 200"
is "$(ag_json sub)" alice "mod_cgi protected: sub"

ag_http GET /authgate/protected
is "$AG_STATUS" 401 "mod_cgi protected without a token: 401"
is "$(ag_header WWW-Authenticate)" 'Bearer realm="authgate"' \
    "mod_cgi protected without a token: WWW-Authenticate"

ag_done
