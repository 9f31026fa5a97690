#!/bin/sh
# The client_id claim (RFC 9068 2.2, required) of every access token:
# the client's id when the request named one, else default_client_id
# ("default", or as configured); revocation keeps to the same owner.  authgate as a CGI, real GDBM file.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integ/lib.sh"

ag_require_bins
ag_tmpdir
ag_setup_conf
ag_init
ag_user alice "Alice-pw-1" "read"
printf 'Web-secret-1\n' | ag_ctl client add web --secret-stdin \
    >"$AG_TMP/out" 2>&1
is "$?" 0 "client add web"

# claim NAME TOKEN: the claim of the (verified) token, from introspection.
claim()
{
	ag_cgi POST /introspect "token=$2" \
	    "Basic $(printf 'web:Web-secret-1' | base64)" "" "$AG_BIN"
	ag_json "$1"
}

ag_cgi POST /token "username=alice&password=Alice-pw-1" "" "" "$AG_BIN"
is "$AG_STATUS" 200 "login without a client"
TOK=$(ag_json access_token)
is "$(claim client_id "$TOK")" "default" "client_id: default_client_id"
OUT=$(ag_ctl token verify "$TOK" 2>&1)
like "$OUT" '"client_id":"default"' "in the token itself"

ag_cgi POST /token "username=alice&password=Alice-pw-1" \
    "Basic $(printf 'web:Web-secret-1' | base64)" "" "$AG_BIN"
is "$AG_STATUS" 200 "login as client web"
is "$(claim client_id "$(ag_json access_token)")" "web" "client_id: web"

# Revocation (RFC 7009 2.1): only the client the token was issued to.
ag_cgi POST /revoke "token=$TOK" "Basic $(printf 'web:Web-secret-1' | base64)" \
    "" "$AG_BIN"
is "$(claim active "$TOK")" "true" "client web cannot revoke a default token"
ag_cgi POST /revoke "token=$TOK" "" "" "$AG_BIN"
is "$AG_STATUS" 200 "revoke with no client"
is "$(claim active "$TOK")" "false" "a request with no client revokes it"

sed 's/^#default_client_id = .*//' "$AG_CONF" >"$AG_TMP/app.conf"
echo "default_client_id = web-app" >>"$AG_TMP/app.conf"
ag_cgi POST /token "username=alice&password=Alice-pw-1" "" "" \
    env AUTHGATE_CONF="$AG_TMP/app.conf" "$AG_BIN"
is "$AG_STATUS" 200 "login without a client, default_client_id set"
is "$(claim client_id "$(ag_json access_token)")" "web-app" \
    "client_id: the configured default"
ag_done
