#!/bin/sh
# lighttpd with etc/lighttpd/authgate-authorizer.conf unchanged: authgate
# in the FastCGI authorizer role guards the static directory /private/
# (and /private/admin/, which needs the scope "admin"); the guarded side
# sees REMOTE_USER (a CGI script there prints it).
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl
ag_tmpdir
ag_setup_conf
ag_init
ag_user alice alice-pw "read write"
ag_user root-user root-pw "read admin"

mkdir -p "$AG_TMP/www/private/admin"
echo "the guarded file" >"$AG_TMP/www/private/hello.txt"
echo "admins only" >"$AG_TMP/www/private/admin/secret.txt"
echo "public" >"$AG_TMP/www/public.txt"
ag_whoami_cgi "$AG_TMP/www/private"

# mod_cgi after the authorizer: runs whoami.cgi once authgate said yes.
AG_LIGHTTPD_AFTER=$AG_LIGHTTPD_CGI
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate-authorizer.conf"

ag_http GET /public.txt
is "$AG_STATUS" 200 "unguarded file: 200 without a token"

ag_http GET /private/hello.txt
is "$AG_STATUS" 401 "guarded file without a token: 401"
is "$(ag_header WWW-Authenticate)" 'Bearer realm="authgate"' \
    "guarded file without a token: WWW-Authenticate relayed"
unlike "$AG_BODY" 'the guarded file' "guarded file without a token: not served"
ok "guarded file without a token: authgate's JSON body" ag_is_json

ag_http GET /private/hello.txt -H "Authorization: Bearer nonsense.x.y"
is "$AG_STATUS" 401 "guarded file with a bad token: 401"
like "$(ag_header WWW-Authenticate)" 'error="invalid_token"' \
    "guarded file with a bad token: invalid_token"

TOKEN=$(ag_token alice alice-pw)
isnt "$TOKEN" "" "token from the responder beside the authorizer"

ag_http GET /private/hello.txt -H "Authorization: Bearer $TOKEN"
is "$AG_STATUS" 200 "guarded file with a valid token: 200"
is "$AG_BODY" "the guarded file" "guarded file with a valid token: its content"

ag_http GET /private/admin/secret.txt -H "Authorization: Bearer $TOKEN"
is "$AG_STATUS" 403 "scope admin required, token lacks it: 403"
unlike "$AG_BODY" 'admins only' "scope missing: file not served"
like "$(ag_header WWW-Authenticate)" 'error="insufficient_scope"' \
    "scope missing: insufficient_scope"

ADMIN=$(ag_token root-user root-pw)
ag_http GET /private/admin/secret.txt -H "Authorization: Bearer $ADMIN"
is "$AG_STATUS" 200 "scope admin required, token has it: 200"
is "$AG_BODY" "admins only" "scope admin present: file served"

ag_http GET /private/whoami.cgi -H "Authorization: Bearer $TOKEN"
is "$AG_STATUS" 200 "CGI behind the authorizer: 200"
like "$AG_BODY" '^REMOTE_USER=alice$' "CGI behind the authorizer: REMOTE_USER"
like "$AG_BODY" '^AUTHGATE_SCOPE=read write$' \
    "CGI behind the authorizer: AUTHGATE_SCOPE"

ag_http GET /private/whoami.cgi
is "$AG_STATUS" 401 "CGI behind the authorizer without a token: 401"
unlike "$AG_BODY" 'REMOTE_USER' "CGI not run without a token"

# A client cannot set the variables itself.
ag_http GET /private/whoami.cgi -H "Authorization: Bearer $TOKEN" \
    -H "Remote-User: mallory" -H "Variable-REMOTE_USER: mallory"
like "$AG_BODY" '^REMOTE_USER=alice$' "REMOTE_USER not taken from the client"

ag_done
