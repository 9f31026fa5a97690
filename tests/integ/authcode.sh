#!/bin/sh
# The authorization code flow with PKCE (RFC 6749 4.1, RFC 7636, RFC
# 9207) and client_credentials through a real lighttpd, driven by an
# unmodified requests-oauthlib (authcode.py): sign-in, code, token,
# reuse revoking the first tokens, wrong verifier, redirect or client
# refused; and the /authorize answers seen by curl.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl
ag_require_py json requests requests_oauthlib
ag_tmpdir
ag_setup_conf leeway=0 access_token_ttl=600 refresh_token_ttl=3600 \
    issuer=https://auth.test login_url=/login
ag_init
ag_user alice alice-pw-1 "read write"
CB=http://127.0.0.1:9/cb
CB_ENC=http%3A%2F%2F127.0.0.1%3A9%2Fcb
mkclient()
{
	ag_ctl client add "$@" >"$AG_TMP/client.log" 2>&1 </dev/null ||
	    { echo "Bail out! client add $1: $(cat "$AG_TMP/client.log")"
	      exit 1; }
}
mkclient app --public --grant authorization_code --grant refresh_token \
    --redirect-uri "$CB" --scope "read write"
mkclient app2 --public --grant authorization_code --redirect-uri "$CB"
printf '%s\n' svc-secret-1 >"$AG_TMP/svc.secret"
ag_ctl client add svc --secret-stdin --grant client_credentials \
    --scope "api:read" <"$AG_TMP/svc.secret" >"$AG_TMP/client.log" 2>&1 ||
    { echo "Bail out! client add svc: $(cat "$AG_TMP/client.log")"; exit 1; }
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf"

CH=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM
AZ="/authorize?response_type=code&client_id=app&redirect_uri=$CB_ENC&code_challenge=$CH&code_challenge_method=S256&state=s%20t"

ag_http GET "/authorize?client_id=app&redirect_uri=https%3A%2F%2Fevil.example%2Fcb"
is "$AG_STATUS" 400 "unregistered redirect_uri: 400"
is "$(ag_header Location)" "" "  not redirected"
like "$(ag_header Content-Type)" '^text/html' "  an HTML page"
like "$(ag_header Content-Security-Policy)" "default-src 'none'" "  with a CSP"
ag_http GET "/authorize?client_id=nobody&redirect_uri=$CB_ENC"
is "$AG_STATUS" 400 "unknown client: a page"
ag_http GET "/authorize?client_id=app&redirect_uri=$CB_ENC&response_type=token&state=x"
is "$AG_STATUS" 302 "response_type=token: redirect"
like "$(ag_header Location)" \
    '^http://127\.0\.0\.1:9/cb\?error=unsupported_response_type&.*&state=x&iss=https%3A%2F%2Fauth\.test$' \
    "  error, state and iss at the client"
ag_http GET "$AZ"
is "$AG_STATUS" 302 "a good request without a session"
like "$(ag_header Location)" '^/login\?rd=/authorize%3Fresponse_type%3Dcode' \
    "  to the sign-in page, coming back here"
is "$(ag_header Cache-Control)" no-store "  no-store"

ag_http GET /.well-known/oauth-authorization-server
like "$AG_BODY" "\"authorization_endpoint\":\"$AG_URL/authorize\"" \
    "metadata: authorization_endpoint"
like "$AG_BODY" '"code_challenge_methods_supported":\["S256"\]' \
    "metadata: S256"
like "$AG_BODY" '"authorization_response_iss_parameter_supported":true' \
    "metadata: iss"

ag_http POST /token -d grant_type=client_credentials -d client_id=app
is "$(ag_json error)" unauthorized_client "curl: public client, client_credentials"
ag_http POST /token -u svc:svc-secret-1 -d grant_type=client_credentials
is "$AG_STATUS" 200 "curl: client_credentials"
is "$(ag_json scope)" "api:read" "  the client's registered scope"
is "$(ag_json refresh_token)" "" "  no refresh token"
ag_http GET /metrics
like "$AG_BODY" '^authgate_tokens_issued_total\{grant="client_credentials"\} 1$' \
    "  counted in authgate_tokens_issued_total{grant=client_credentials}"

"$AG_PY" "$top_srcdir/tests/integ/authcode.py" "$AG_URL" alice alice-pw-1 \
    https://auth.test >"$AG_TMP/py.out" 2>&1
rc=$?
n=0
while IFS= read -r line; do
	case $line in
	"ok - "*) n=$((n + 1)); pass "requests-oauthlib: ${line#ok - }" ;;
	"not ok - "*) fail "requests-oauthlib: ${line#not ok - }" ;;
	*) diag "$line" ;;
	esac
done <"$AG_TMP/py.out"
is "$rc" 0 "requests-oauthlib: the script passed"
ok "requests-oauthlib: all of it ran ($n checks)" [ "$n" -ge 26 ]

ag_done
