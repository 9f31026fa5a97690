#!/bin/sh
# Three hosts on one machine (doc/scaling.md): issuer A signs with ES256
# and publishes its JWK Set; verifiers B and C run verify_only = yes with
# a copy of it fetched over HTTP, no key, no database.  A's tokens work on
# B and C, other keys' do not, /token is not served there, key rotation
# needs no re-copy (the next key was published a rotation ahead), retired
# keys keep verifying, and a new copy is picked up without a restart.  B
# also guards a static file in the FastCGI authorizer role.
#
# Hosts are network namespaces joined by a bridge (10.200.0.0/24 inside
# them only; the client side is a fourth namespace), or, where namespaces
# may not be made, separate loopback addresses 127.0.0.1-3.
# MH_MODE=loopback forces the latter.  Then EdDSA and RS256 issuer and
# verifier are checked the same way through the CGI interface (no server).
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl
ag_require_py jwt cryptography
ag_tmpdir
ROOT=$AG_TMP
MH="$AG_PY $top_srcdir/tests/integ/multihost.py"
CURL=$(command -v curl)
NS=agmh$$
MODE=

# Stop the servers before the namespaces they live in go.
mh_cleanup()
{
	_mrc=$?
	ag_stop_all
	if [ "$MODE" = netns ]; then
		for _h in a b c d; do
			ip netns del "$NS$_h" 2>/dev/null
		done
	fi
	(exit $_mrc)
	_ag_cleanup
}
trap mh_cleanup EXIT
trap 'mh_cleanup; exit 1' INT TERM HUP PIPE

bail()
{
	echo "Bail out! $*"
	ag_show_logs
	exit 1
}

# Four namespaces: a, b, c (the hosts, 10.200.0.1-3 on eth0) and d (the
# clients, holding the bridge br0, 10.200.0.254).
mh_netns()
{
	[ "${MH_MODE:-}" != loopback ] || return 1
	command -v ip >/dev/null 2>&1 || return 1
	ip netns add "${NS}d" 2>/dev/null || return 1
	MODE=netns
	for _h in a b c; do
		ip netns add "$NS$_h" || return 1
	done
	ip -n "${NS}d" link set lo up &&
	    ip -n "${NS}d" link add br0 type bridge &&
	    ip -n "${NS}d" addr add 10.200.0.254/24 dev br0 &&
	    ip -n "${NS}d" link set br0 up || return 1
	_i=1
	for _h in a b c; do
		ip -n "${NS}d" link add "v$_h" type veth peer name eth0 \
		    netns "$NS$_h" &&
		    ip -n "${NS}d" link set "v$_h" master br0 up &&
		    ip -n "$NS$_h" link set lo up &&
		    ip -n "$NS$_h" addr add "10.200.0.$_i/24" dev eth0 &&
		    ip -n "$NS$_h" link set eth0 up || return 1
		_i=$((_i + 1))
	done
}

if mh_netns 2>"$ROOT/netns.log"; then
	A_IP=10.200.0.1 B_IP=10.200.0.2 C_IP=10.200.0.3
	A_EXEC="ip netns exec ${NS}a" B_EXEC="ip netns exec ${NS}b"
	C_EXEC="ip netns exec ${NS}c" D_EXEC="ip netns exec ${NS}d"
	diag "mode: network namespaces ${NS}a-d, bridge, 10.200.0.0/24"
else
	if [ "$MODE" = netns ]; then
		diag "network namespaces failed: $(cat "$ROOT/netns.log")"
		for _h in a b c d; do
			ip netns del "$NS$_h" 2>/dev/null
		done
	fi
	MODE=loopback
	A_IP=127.0.0.1 B_IP=127.0.0.2 C_IP=127.0.0.3
	A_EXEC= B_EXEC= C_EXEC= D_EXEC=
	diag "mode: loopback addresses 127.0.0.1-3 (no network namespaces)"
fi

# Every request of ag_http is made from the client side.
curl()
{
	$D_EXEC "$CURL" "$@"
}

# mh_wait IP PORT: until something accepts there, 10 s at most.
mh_wait()
{
	$D_EXEC "$AG_PY" - "$1" "$2" <<'EOF'
import socket, sys, time
end = time.time() + 10
while time.time() < end:
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

# mh_host H TEMPLATE [KEY=VALUE...]: host H's directory $ROOT/H, its
# authgate.conf (ag_setup_conf) and lighttpd configuration (lib.sh's,
# bound to the host's address).  Sets H_DIR, H_CONF, H_PORT, H_URL,
# H_LCONF.
mh_host()
{
	_h=$1
	_tmpl=$2
	shift 2
	eval "_ip=\$${_h}_IP"
	mkdir -p "$ROOT/$_h"
	AG_TMP=$ROOT/$_h
	AG_PORT=$(ag_free_port)
	ag_setup_conf "$@"
	ag_lighttpd_conf "$_tmpl"
	sed -i "s/^server\.bind = .*/server.bind = \"$_ip\"/" \
	    "$AG_LIGHTTPD_CONF"
	eval "${_h}_DIR=\$AG_TMP ${_h}_CONF=\$AG_CONF ${_h}_PORT=\$AG_PORT"
	eval "${_h}_URL=http://\$_ip:\$AG_PORT ${_h}_LCONF=\$AG_LIGHTTPD_CONF"
	AG_TMP=$ROOT
	AG_PORT=
}

# mh_start H: host H's lighttpd (in its namespace); bails out when it
# does not answer within 10 s.
mh_start()
{
	eval "_exec=\$${1}_EXEC _dir=\$${1}_DIR _lc=\$${1}_LCONF"
	eval "_ip=\$${1}_IP _port=\$${1}_PORT"
	ag_add_log "$_dir/lighttpd-error.log"
	$_exec lighttpd -tt -f "$_lc" >"$_dir/lighttpd-t.log" 2>&1 ||
	    bail "$1: lighttpd -tt: $(cat "$_dir/lighttpd-t.log")"
	ag_bg "$1-lighttpd" $_exec lighttpd -D -f "$_lc"
	mh_wait "$_ip" "$_port" || bail "$1: lighttpd did not answer"
}

mh_ctl()
{
	"$AG_CTL" -c "$A_CONF" "$@" >>"$ROOT/ctl.log" 2>&1
}
ag_add_log "$ROOT/ctl.log"

# mh_fetch H: H fetches A's JWK Set over HTTP into its jwks_file (by
# rename, as an administrator would, so it is never read torn).
mh_fetch()
{
	eval "_exec=\$${1}_EXEC _dir=\$${1}_DIR"
	$_exec "$CURL" -sf -m 10 -o "$_dir/jwks.json.new" \
	    "$A_URL/.well-known/jwks.json" &&
	    mv "$_dir/jwks.json.new" "$_dir/jwks.json"
}

# mh_status URL TOKEN: the status of GET URL with the token.
mh_status()
{
	curl -s -m 10 -o /dev/null -w '%{http_code}' \
	    -H "Authorization: Bearer $2" "$1"
}

# mh_until URL TOKEN STATUS N: until N answers in a row are STATUS (every
# process of the pool has seen the change); 4 s at most.
mh_until()
{
	_row=0
	_i=0
	while [ $_i -lt 40 ]; do
		if [ "$(mh_status "$1" "$2")" = "$3" ]; then
			_row=$((_row + 1))
			[ $_row -lt "$4" ] || return 0
		else
			_row=0
			sleep 0.1
		fi
		_i=$((_i + 1))
	done
	return 1
}

# mh_token KID: a token for alice from A signed with KID (A's processes
# take a rotated key within a second); empty after 3 s.
mh_token()
{
	_i=0
	while [ $_i -lt 30 ]; do
		_t=$(AG_URL=$A_URL ag_token alice alice-pw)
		if [ -n "$_t" ] && [ "$($MH hdr "$_t" kid)" = "$1" ]; then
			printf '%s\n' "$_t"
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# mh_check HOST TOKEN SUB DESC: /protected on HOST accepts TOKEN for SUB.
mh_check()
{
	eval "_url=\$${1}_URL"
	ag_http GET "$_url/protected" -H "Authorization: Bearer $2"
	is "$AG_STATUS" 200 "$1: $4: 200" && is "$(ag_json sub)" "$3" \
	    "$1: $4: sub $3"
}

# mh_refused HOST TOKEN DESC: /protected on HOST answers 401
# invalid_token.
mh_refused()
{
	eval "_url=\$${1}_URL"
	ag_http GET "$_url/protected" -H "Authorization: Bearer $2"
	is "$AG_STATUS" 401 "$1: $3: 401" &&
	    like "$(ag_header WWW-Authenticate)" 'error="invalid_token"' \
	    "$1: $3: invalid_token"
}

TEMPLATE=$top_srcdir/etc/lighttpd/authgate.conf
AUTHZ_TEMPLATE=$top_srcdir/etc/lighttpd/authgate-authorizer.conf

# ---------------------------------------------------------------- A
mh_host A "$TEMPLATE" algorithm=ES256
AG_CONF=$A_CONF
ag_init
ag_user alice alice-pw "read write"
ok "A: key generate --alg ES256 --force" \
    mh_ctl key generate --alg ES256 --force
K0=$($MH kid "$A_DIR/signing.key")
ok "A: key rotate" mh_ctl key rotate
K1=$($MH kid "$A_DIR/signing.key")
K2=$($MH kid "$A_DIR/keys/next.key")
isnt "$K1" "$K0" "A: rotate made a new signing key"
mh_start A

# ---------------------------------------------------------------- B, C
# No user_db, no state_db, no key_file: paths to nothing.
for H in B C; do
	[ $H = B ] && T=$AUTHZ_TEMPLATE || T=$TEMPLATE
	mh_host $H "$T" algorithm=ES256 verify_only=yes \
	    "jwks_file=$ROOT/$H/jwks.json" "user_db=$ROOT/$H/none/users.db" \
	    "state_db=$ROOT/$H/none/state.db" \
	    "key_file=$ROOT/$H/none/signing.key"
	ok "$H: fetches A's JWK Set over HTTP" mh_fetch $H
done
cp "$B_DIR/jwks.json" "$ROOT/jwks-1.json"
is "$($MH kids "$B_DIR/jwks.json" | tr '\n' ' ')" \
    "$(printf '%s\n' "$K0" "$K1" "$K2" | sort | tr '\n' ' ')" \
    "A's JWK Set: retired, signing and next key, by RFC 7638 kid"
unlike "$(cat "$B_DIR/jwks.json")" '"d"' "A's JWK Set: no private member"

out=$("$AG_BIN" -c "$B_CONF" -t 2>&1)
is "$?" 0 "B: authgate -t exits 0" || diag "$out"
for K in "$K0" "$K1" "$K2"; do
	like "$out" "^verify-only: ES256 kid=$K\$" "B: -t lists ES256 kid $K"
done
like "$out" '^configuration ok$' "B: -t says configuration ok"

# A private JWK where public keys are expected.
mkdir "$ROOT/P"
$MH privjwks "$A_DIR/signing.key" ES256 >"$ROOT/P/jwks.json"
D=$("$AG_PY" -c 'import json, sys
print(json.load(open(sys.argv[1]))["keys"][0]["d"])' "$ROOT/P/jwks.json")
sed "s|^jwks_file = .*|jwks_file = $ROOT/P/jwks.json|" "$B_CONF" \
    >"$ROOT/P/authgate.conf"
out=$("$AG_BIN" -c "$ROOT/P/authgate.conf" -t 2>&1)
is "$?" 1 "private JWK in jwks_file: authgate -t exits 1"
like "$out" "^$ROOT/P/jwks.json: .*private key given where a public key" \
    "private JWK: message names the file and says why"
unlike "$out" "$D" "private JWK: the private value is not printed"
unlike "$out" 'configuration ok' "private JWK: no 'configuration ok'"

mh_start B
mh_start C

# ---------------------------------------------------------------- tokens
AG_URL=$A_URL
T1=$(ag_token alice alice-pw)
is "$($MH hdr "$T1" kid)" "$K1" "A: token signed by the signing key"
for H in A B C; do
	mh_check $H "$T1" alice "A's token"
done

# Another key (same issuer, claims, kid or not): refused everywhere.
$MH genkey ES256 "$ROOT/other.pem"
F_KID=$($MH mint "$ROOT/other.pem" ES256 authgate alice "read write" "$K1")
F_OWN=$($MH mint "$ROOT/other.pem" ES256 authgate alice "read write")
# The same minting with A's own key passes: the refusals are the key's.
MINTED=$($MH mint "$A_DIR/signing.key" ES256 authgate bob read)
mh_check B "$MINTED" bob "PyJWT token with A's key"
for H in B C; do
	mh_refused $H "$F_KID" "another key under A's kid"
	mh_refused $H "$F_OWN" "another key under its own kid"
done

for H in B C; do
	eval "_url=\$${H}_URL"
	ag_http POST "$_url/token" -d grant_type=password -d username=alice \
	    -d password=alice-pw
	is "$AG_STATUS" 404 "$H: /token answers 404"
	ok "$H: /token 404 is authgate's JSON" ag_is_json
done
# Nor the issuer's other endpoints: they would need its database.
ag_http GET "$B_URL/.well-known/oauth-authorization-server"
is "$AG_STATUS" 404 "B: no authorization server metadata (404)"
ag_http POST "$B_URL/revoke" --data-urlencode "token=$T1"
is "$AG_STATUS" 404 "B: /revoke answers 404"

# B's authorizer guards a static file.
mkdir -p "$B_DIR/www/private"
echo "B's guarded file" >"$B_DIR/www/private/hello.txt"
ag_http GET "$B_URL/private/hello.txt"
is "$AG_STATUS" 401 "B authorizer: no token: 401"
ag_http GET "$B_URL/private/hello.txt" -H "Authorization: Bearer $T1"
is "$AG_STATUS" 200 "B authorizer: A's token: 200"
is "$AG_BODY" "B's guarded file" "B authorizer: A's token: the file"
ag_http GET "$B_URL/private/hello.txt" -H "Authorization: Bearer $F_KID"
is "$AG_STATUS" 401 "B authorizer: another key's token: 401"
unlike "$AG_BODY" "guarded file" "B authorizer: another key: not served"

# ---------------------------------------------------------------- rotate
ok "A: second key rotate" mh_ctl key rotate
is "$($MH kid "$A_DIR/signing.key")" "$K2" \
    "rotate: the published next key signs now"
K3=$($MH kid "$A_DIR/keys/next.key")
T2=$(mh_token "$K2")
isnt "$T2" "" "A: token signed by the former next key"
for H in B C; do
	mh_check $H "$T2" alice "new key, JWK Set not copied again"
done
ok "B: JWK Set copy untouched" cmp -s "$B_DIR/jwks.json" "$ROOT/jwks-1.json"

ok "A: third key rotate" mh_ctl key rotate
K4=$($MH kid "$A_DIR/keys/next.key")
T3=$(mh_token "$K3")
isnt "$T3" "" "A: token signed by the key published two rotations ago"
for H in A B C; do
	mh_check $H "$T2" alice "token of a now-retired key"
done
mh_check A "$T1" alice "token of a key retired twice"
for H in B C; do
	mh_refused $H "$T3" "key not in its JWK Set copy"
done

# ---------------------------------------------------------------- reload
ok "B: fetches A's new JWK Set" mh_fetch B
start=$(date +%s.%N)
ok "B: new JWK Set picked up without restart" \
    mh_until "$B_URL/protected" "$T3" 200 3
diag "B took $(echo "$(date +%s.%N) - $start" | bc 2>/dev/null ||
    echo '?') s to pick up the new JWK Set"
mh_check B "$T3" alice "key only in the new JWK Set"
ok "B authorizer: new JWK Set picked up" \
    mh_until "$B_URL/private/hello.txt" "$T3" 200 3
mh_refused C "$T3" "not copied to C: still refused"
mh_check B "$T2" alice "older key still in the new set"
out=$("$AG_BIN" -c "$B_CONF" -t 2>&1)
like "$out" "^verify-only: ES256 kid=$K4\$" "B: -t lists the new next key"
ok "B: no database was made" test ! -e "$B_DIR/none"
ok "C: no database was made" test ! -e "$C_DIR/none"

# ------------------------------------------ EdDSA and RS256, through CGI
# mh_cgi CONF PATH [TOKEN]: one CGI request to authgate; AG_STATUS and
# AG_BODY as ag_http sets them.
mh_cgi()
{
	_out=$(env -i PATH="$PATH" AUTHGATE_CONF="$1" GATEWAY_INTERFACE=CGI/1.1 \
	    REQUEST_METHOD=GET REQUEST_URI="$2" SCRIPT_NAME="$2" \
	    SERVER_PROTOCOL=HTTP/1.1 ${3:+HTTP_AUTHORIZATION="Bearer $3"} \
	    "$AG_BIN" </dev/null 2>>"$ROOT/cgi.log" | tr -d '\r')
	AG_STATUS=$(printf '%s\n' "$_out" | sed -n 's/^Status: \([0-9]*\).*/\1/p' |
	    head -n 1)
	[ -n "$AG_STATUS" ] || AG_STATUS=200
	AG_BODY=$(printf '%s\n' "$_out" | sed '1,/^$/d')
}
ag_add_log "$ROOT/cgi.log"

for ALG in EdDSA RS256; do
	E=$ROOT/$ALG
	mkdir -p "$E/v"
	AG_TMP=$E
	ag_setup_conf algorithm=$ALG
	AG_TMP=$ROOT
	EI_CONF=$AG_CONF
	ag_init
	ag_user alice alice-pw "read"
	"$AG_CTL" -c "$EI_CONF" key generate --alg "$ALG" --force \
	    >>"$ROOT/ctl.log" 2>&1 &&
	    "$AG_CTL" -c "$EI_CONF" key rotate >>"$ROOT/ctl.log" 2>&1
	is "$?" 0 "$ALG: key generate and rotate"
	mh_cgi "$EI_CONF" /.well-known/jwks.json
	printf '%s' "$AG_BODY" >"$E/v/jwks.json"
	AG_TMP=$E/v
	ag_setup_conf algorithm=$ALG verify_only=yes "jwks_file=$E/v/jwks.json" \
	    "user_db=$E/v/none/users.db" "state_db=$E/v/none/state.db" \
	    "key_file=$E/v/none/signing.key"
	AG_TMP=$ROOT
	out=$("$AG_BIN" -c "$AG_CONF" -t 2>&1)
	like "$out" "^verify-only: $ALG kid=$($MH kid "$E/signing.key")\$" \
	    "$ALG verifier: -t lists the signing key"
	TOK=$("$AG_CTL" -c "$EI_CONF" token issue alice 2>>"$ROOT/ctl.log")
	mh_cgi "$AG_CONF" /protected "$TOK"
	is "$AG_STATUS" 200 "$ALG verifier: the issuer's token: 200"
	is "$(ag_json sub)" alice "$ALG verifier: sub alice"
	$MH genkey "$ALG" "$E/other.pem"
	mh_cgi "$AG_CONF" /protected \
	    "$($MH mint "$E/other.pem" "$ALG" authgate alice read)"
	is "$AG_STATUS" 401 "$ALG verifier: another key's token: 401"
done

ag_done
