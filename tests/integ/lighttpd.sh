#!/bin/sh
# lighttpd + mod_fastcgi spawning authgate with etc/lighttpd/authgate.conf
# unchanged: the token flow, the error answers, and OAuth2/JWT libraries
# of other programs (requests-oauthlib, PyJWT) against it.
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl
ag_require_py requests_oauthlib jwt
ag_tmpdir
ag_setup_conf
ag_init
ag_user alice alice-pw "read write"
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf"
INTEROP="$AG_PY $top_srcdir/tests/integ/interop.py"

# -- the token endpoint
ag_http POST /token -d grant_type=password -d username=alice \
    -d password=alice-pw
is "$AG_STATUS" 200 "token: 200"
like "$(ag_header Content-Type)" '^application/json' "token: JSON type"
ok "token: body is a JSON object" ag_is_json
is "$(ag_json token_type)" bearer "token: token_type bearer"
is "$(ag_json expires_in)" 900 "token: expires_in 900"
is "$(ag_json scope)" "read write" "token: scope granted"
is "$(ag_header Cache-Control)" no-store "token: Cache-Control no-store"
is "$(ag_header Pragma)" no-cache "token: Pragma no-cache"
TOKEN=$(ag_json access_token)
REFRESH=$(ag_json refresh_token)
like "$TOKEN" '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' \
    "token: a compact JWS"

# -- /protected
ag_http GET /protected -H "Authorization: Bearer $TOKEN"
is "$AG_STATUS" 200 "protected: 200 with the token"
is "$AG_BODY" \
    '{"message":"Hello, authenticated user!","sub":"alice","scope":"read write"}' \
    "protected: body as SPEC"
is "$(ag_header X-Auth-Request-User)" alice "protected: X-Auth-Request-User"
is "$(ag_header X-Auth-Request-Scope)" "read write" \
    "protected: X-Auth-Request-Scope"

ag_http GET /protected
is "$AG_STATUS" 401 "protected: 401 without a token"
is "$(ag_header WWW-Authenticate)" 'Bearer realm="authgate"' \
    "protected: exact WWW-Authenticate without a token"
ok "protected: 401 body is JSON" ag_is_json

ag_http GET /protected -H "Authorization: Bearer $TOKEN.x"
is "$AG_STATUS" 401 "protected: 401 with a bad token"
like "$(ag_header WWW-Authenticate)" \
    '^Bearer realm="authgate", error="invalid_token", error_description="[^"]+"$' \
    "protected: error=\"invalid_token\" with a bad token"

ag_http POST /protected -H "Authorization: Bearer $TOKEN" -d ""
is "$AG_STATUS" 200 "protected: POST with the token is 200"

# -- errors, every one JSON
ag_http GET /nope
is "$AG_STATUS" 404 "unknown path: 404"
ok "unknown path: JSON body" ag_is_json
like "$(ag_header Content-Type)" '^application/json' "unknown path: JSON type"

ag_http GET /token
is "$AG_STATUS" 405 "GET /token: 405"
like "$(ag_header Allow)" 'POST' "GET /token: Allow names POST"
ok "GET /token: JSON body" ag_is_json

ag_http DELETE /protected -H "Authorization: Bearer $TOKEN"
is "$AG_STATUS" 405 "DELETE /protected: 405"
like "$(ag_header Allow)" 'GET' "DELETE /protected: Allow names GET"

head -c 9000 /dev/zero | tr '\0' a >"$AG_TMP/big"
ag_http POST /token --data-binary "@$AG_TMP/big" \
    -H 'Content-Type: application/x-www-form-urlencoded'
is "$AG_STATUS" 413 "body over max_body: 413"
ok "413: JSON body" ag_is_json

ag_http POST /token -H 'Content-Type: application/json' \
    --data-binary '{"grant_type":"password","username":"alice"}'
is "$AG_STATUS" 415 "JSON body to /token: 415"
ok "415: JSON body" ag_is_json

ag_http POST /token -d grant_type=password -d username=alice \
    -d password=wrong
is "$AG_STATUS" 400 "wrong password: 400"
is "$(ag_json error)" invalid_grant "wrong password: invalid_grant"
is "$(ag_header Cache-Control)" no-store "wrong password: no-store"
WRONG_BODY=$AG_BODY
ag_http POST /token -d grant_type=password -d username=nobody \
    -d password=wrong
is "$AG_BODY" "$WRONG_BODY" "unknown user: the same body as a wrong password"

ag_http POST /token -d grant_type=password -d username=alice \
    -d username=alice -d password=alice-pw
is "$(ag_json error)" invalid_request "field given twice: invalid_request"

# -- refresh
if [ -n "$REFRESH" ]; then
	ag_http POST /token -d grant_type=refresh_token \
	    --data-urlencode "refresh_token=$REFRESH"
	is "$AG_STATUS" 200 "refresh_token grant: 200"
	isnt "$(ag_json access_token)" "" "refresh_token grant: a new token"
else
	fail "token: a refresh_token in the response"
	skip 1 "no refresh token"
fi

# -- requests-oauthlib (password grant) and PyJWT
out=$($INTEROP oauthlib "$AG_URL" alice alice-pw "read" 2>"$AG_TMP/py.err")
rc=$?
is "$rc" 0 "requests-oauthlib fetch_token and /protected" ||
    diag "$(cat "$AG_TMP/py.err")"
like "$out" '"status": 200' "requests-oauthlib: /protected 200"
like "$out" '"sub": "alice"' "requests-oauthlib: sub alice"
like "$out" '"scope": "read"' "requests-oauthlib: asked scope granted"

out=$($INTEROP decode "$AG_TMP/signing.key" "$TOKEN" authgate alice \
    2>"$AG_TMP/py.err")
is "$out" ok "PyJWT verifies our token (HS256, iss, sub, exp, typ)" ||
    diag "$(cat "$AG_TMP/py.err")"

MINTED=$($INTEROP mint "$AG_TMP/signing.key" authgate bob "read" \
    2>"$AG_TMP/py.err")
ag_http GET /protected -H "Authorization: Bearer $MINTED"
is "$AG_STATUS" 200 "a PyJWT-minted token is accepted"
is "$(ag_json sub)" bob "PyJWT-minted token: sub"

printf 'another-secret\n' >"$AG_TMP/other.key"
OTHER=$($INTEROP mint "$AG_TMP/other.key" authgate bob "read" \
    2>"$AG_TMP/py.err")
ag_http GET /protected -H "Authorization: Bearer $OTHER"
is "$AG_STATUS" 401 "a token signed with another secret: 401"

WRONGISS=$($INTEROP mint "$AG_TMP/signing.key" someone-else bob "read" \
    2>"$AG_TMP/py.err")
ag_http GET /protected -H "Authorization: Bearer $WRONGISS"
is "$AG_STATUS" 401 "a token of another issuer: 401"

EXPIRED=$($INTEROP mint "$AG_TMP/signing.key" authgate bob "read" -600 \
    2>"$AG_TMP/py.err")
ag_http GET /protected -H "Authorization: Bearer $EXPIRED"
is "$AG_STATUS" 401 "an expired token (beyond leeway): 401"

# alg "none", even with a valid payload.
NONE=$(printf '%s' "$TOKEN" | "$AG_PY" -c 'import base64, sys
t = sys.stdin.read().split(".")
h = base64.urlsafe_b64encode(b"{\"alg\":\"none\",\"typ\":\"at+jwt\"}")
print(h.decode().rstrip("=") + "." + t[1] + ".")')
ag_http GET /protected -H "Authorization: Bearer $NONE"
is "$AG_STATUS" 401 "alg none: 401"

ag_done
