#!/bin/sh
# The verified-token cache (src/vcache.c) behind lighttpd: a token the
# workers have cached is still refused the moment it is tampered with,
# expires, is revoked, or its key is replaced.  Every check runs after
# enough requests with the good token that each worker thread of each
# process has it cached.  VCACHE_ALG (default HS256) picks the signing
# algorithm: vcache_rs256.sh and vcache_es256.sh run the same checks
# with asymmetric tokens, which the cache holds too (an RS256 token at
# 2048 bits is 661 bytes, longer than the room a slot starts with).
. "$top_srcdir/tests/integ/lib.sh"

ALG=${VCACHE_ALG:-HS256}
ag_require_bins
ag_require_cmd lighttpd curl
ag_tmpdir
ag_setup_conf leeway=0 "algorithm=$ALG"
ag_init
ag_user alice alice-pw "read"
mkdir -p "$AG_TMP/www/private"
echo "the guarded file" >"$AG_TMP/www/private/file.txt"
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate-authorizer.conf"

# warm TOKEN [PATH]: 24 requests with TOKEN; prints how many were 200.
warm()
{
	_n=0
	for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 \
	    23 24; do
		ag_http GET "${2:-/protected}" -H "Authorization: Bearer $1"
		[ "$AG_STATUS" = 200 ] && _n=$((_n + 1))
	done
	echo "$_n"
}

# refused TOKEN [PATH]: prints how many of 24 requests were not 200.
refused()
{
	echo $((24 - $(warm "$@")))
}

# until_status WANT SECONDS TOKEN: true once /protected answers WANT.
until_status()
{
	_end=$(($(date +%s) + $2))
	while [ "$(date +%s)" -le "$_end" ]; do
		ag_http GET /protected -H "Authorization: Bearer $3"
		[ "$AG_STATUS" = "$1" ] && return 0
		sleep 0.2
	done
	return 1
}

TOKEN=$(ag_token alice alice-pw)
like "$TOKEN" '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' \
    "a token to cache"
is "$(printf '%s' "${TOKEN%%.*}" | "$AG_PY" -c 'import base64, json, sys
h = sys.stdin.read(); print(json.loads(base64.urlsafe_b64decode(
    h + "=" * (-len(h) % 4)))["alg"])')" "$ALG" "signed with $ALG"
is "$(warm "$TOKEN")" 24 "24 requests with it: all 200"
is "$(warm "$TOKEN" /private/file.txt)" 24 \
    "24 through the authorizer: all 200"

# -- tampered: any byte changed, whatever part it is in
HDR=${TOKEN%%.*}
REST=${TOKEN#*.}
PAY=${REST%%.*}
SIG=${REST#*.}
flip()	# the string with its character at offset $2 changed
{
	printf '%s' "$1" | "$AG_PY" -c 'import sys
s = sys.stdin.read(); i = int(sys.argv[1]) % len(s)
print(s[:i] + ("A" if s[i] != "A" else "B") + s[i + 1:])' "$2"
}
is "$(refused "$(flip "$HDR" 3).$PAY.$SIG")" 24 \
    "header changed: refused every time"
is "$(refused "$HDR.$(flip "$PAY" 20).$SIG")" 24 \
    "payload changed, signature kept: refused every time"
is "$(refused "$HDR.$PAY.$(flip "$SIG" -1)")" 24 \
    "last signature character changed: refused every time"
is "$(warm "$TOKEN")" 24 "the good token still passes"
ag_http GET /protected -H "Authorization: Bearer $TOKEN "
is "$AG_STATUS" 200 "trailing blank after a cached token: same token, 200"
ag_http GET /protected -H "Authorization: Bearer ${TOKEN}A"
is "$AG_STATUS" 401 "one character more than a cached token: 401"

# -- expiry (leeway 0 here): cached claims meet the clock on every hit
SHORT=$(ag_ctl token issue alice --scope read --ttl 2 2>>"$AG_TMP/ctl.log")
isnt "$SHORT" "" "a token valid for 2 s"
is "$(warm "$SHORT")" 24 "cached while valid"
ok "refused once expired, though cached" until_status 401 6 "$SHORT"
is "$(ag_json error_description)" "token expired" "the reason: expired"

# -- revocation by jti
ag_http POST /revoke --data-urlencode "token=$TOKEN" \
    -d token_type_hint=access_token
is "$AG_STATUS" 200 "revoke the cached token"
is "$(refused "$TOKEN")" 24 "revoked: refused by every worker at once"
is "$(refused "$TOKEN" /private/file.txt)" 24 \
    "revoked: refused by the authorizer too"

# -- key replaced: nothing verified under the old key survives
TOKEN2=$(ag_token alice alice-pw)
is "$(warm "$TOKEN2")" 24 "a second token, cached"
ag_ctl key generate --force >>"$AG_TMP/ctl.log" 2>&1
is "$?" 0 "the signing key replaced by a new secret"
ok "the cached token is refused once the new key is loaded" \
    until_status 401 5 "$TOKEN2"
is "$(refused "$TOKEN2")" 24 "and refused by every worker"
is "$(warm "$(ag_token alice alice-pw)")" 24 "a token of the new key passes"

ag_done
