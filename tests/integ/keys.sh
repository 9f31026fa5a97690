#!/bin/sh
# Keys over time (issue 12 item 8), with authgatectl run as root and
# authgate as a user of its own (nobody), as deployed:
# - what root's authgatectl creates (key_dir, key files) belongs to the
#   service's user, so the service can still read it;
# - a key reload that fails (key_dir made unreadable) is logged, retried
#   and, once fixed, takes effect without a restart; the old keys serve
#   meanwhile;
# - key rotate never builds a set the service cannot load: the rotation
#   that would is refused naming key retire, expired retired keys are
#   dropped, and a key that signed a long token issue --ttl is kept;
# - a JWK Set of 16 RSA-4096 keys (KEYRING_MAX) is served whole.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integ/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root (authgatectl as root, authgate as nobody)"
ag_require_bins
ag_require_cmd lighttpd curl setpriv openssl
id nobody >/dev/null 2>&1 || skip_all "no user nobody"
SVC_GROUP=$(id -gn nobody)

ag_tmpdir
chmod 755 "$AG_TMP"
ag_bin_public
mkdir -p "$AG_TMP/var"
ag_setup_conf "user_db=$AG_TMP/var/users.db" \
    "state_db=$AG_TMP/var/state.db" "key_file=$AG_TMP/var/signing.key" \
    "key_dir=$AG_TMP/var/keys"
chmod 644 "$AG_CONF"
ag_init
ag_user alice alice-pw read
chown -R "nobody:$SVC_GROUP" "$AG_TMP/var"
chmod 700 "$AG_TMP/var"
KD=$AG_TMP/var/keys

owner() { stat -c %U:%G "$1"; }

# kid_of TOKEN: the kid of its JOSE header.
kid_of()
{
	printf '%s' "$1" | cut -d. -f1 | "$AG_PY" -c 'import base64, json, sys
s = sys.stdin.read().strip()
print(json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))["kid"])' \
	    2>/dev/null
}

# wait_kid KID SECONDS: until /token signs with KID; KID_NOW is the last.
wait_kid()
{
	_end=$(($(date +%s) + $2))
	while :; do
		KID_NOW=$(kid_of "$(ag_token alice alice-pw)")
		[ "$KID_NOW" = "$1" ] && return 0
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.3
	done
}

# sub_conf NAME [KEY=VALUE...]: a configuration like $AG_CONF with its
# keys in $AG_TMP/NAME; printed.
sub_conf()
{
	_d=$AG_TMP/$1
	shift
	mkdir -p "$_d"
	_keys="key_file|key_dir"
	for _kv in "$@"; do
		_keys="$_keys|${_kv%%=*}"
	done
	{
		grep -Ev "^($_keys) =" "$AG_CONF"
		echo "key_file = $_d/signing.key"
		echo "key_dir = $_d/keys"
		for _kv in "$@"; do
			echo "$_kv"
		done
	} >"$_d/authgate.conf"
	echo "$_d/authgate.conf"
}

# ------------------------------------------------ the service, as nobody
AGPORT=$(ag_free_port)
ag_bg authgate setpriv --reuid=nobody --regid="$SVC_GROUP" --clear-groups \
    "$AG_BIN" -c "$AG_CONF" -s "127.0.0.1:$AGPORT"
SVC_PID=$AG_LAST_PID
SVC_LOG=$AG_TMP/authgate.log
ok "authgate -s as nobody listens" ag_wait_port "$AGPORT" 10
cat >"$AG_TMP/fcgi-tcp.conf" <<EOF
server.modules += ( "mod_fastcgi" )
fastcgi.server += ( "/" => (( "host" => "127.0.0.1", "port" => $AGPORT,
	"check-local" => "disable" )) )
EOF
ag_start_lighttpd "$AG_TMP/fcgi-tcp.conf"
K0=$(kid_of "$(ag_token alice alice-pw)")
isnt "$K0" "" "a token, kid $K0"

# ------------------------------------------------ root's files
ag_ctl key rotate >"$AG_TMP/ctl.log" 2>&1
is "$?" 0 "key rotate as root"
is "$(owner "$KD")" "nobody:$SVC_GROUP" \
    "key_dir root created belongs to the service's user"
is "$(stat -c %a "$KD")" 700 "key_dir mode 0700"
is "$(owner "$KD/next.key")" "nobody:$SVC_GROUP" "next.key too"
is "$(owner "$KD/$K0.key")" "nobody:$SVC_GROUP" "the retired key too"
is "$(owner "$AG_TMP/var/signing.key")" "nobody:$SVC_GROUP" \
    "signing.key keeps its owner"
ok "the service signs with the new key without a restart" \
    wait_kid "$(ag_ctl key list | awk '$3 == "signing" { print $1 }')" 5
K1=$KID_NOW
isnt "$K1" "$K0" "new kid $K1"
OTHER=$(sub_conf var2)
chown "nobody:$SVC_GROUP" "$AG_TMP/var2"
"$AG_CTL" -c "$OTHER" key generate >/dev/null 2>>"$AG_TMP/ctl-err.log"
is "$(owner "$AG_TMP/var2/signing.key")" "nobody:$SVC_GROUP" \
    "key generate as root: a new key file gets its directory's owner"

# ------------------------------------------------ a reload that fails
# key_dir as an older authgatectl left it: root's, 0700.
chown -R root:root "$KD"
ag_ctl key rotate >"$AG_TMP/ctl.log" 2>&1
is "$?" 0 "key rotate with key_dir root's"
K2=$(ag_ctl key list | awk '$3 == "signing" { print $1 }')
sleep 2
K=$(kid_of "$(ag_token alice alice-pw)")
is "$K" "$K1" "reload failed: the old key still signs"
ok "the failure is logged" grep -q 'key reload failed.*Permission denied' \
    "$SVC_LOG"
n1=$(grep -c 'key reload failed' "$SVC_LOG")
# Retried every SERVE_RETRY_SECONDS (5) while requests arrive.
i=0
while [ $i -lt 14 ]; do
	ag_http GET /.well-known/jwks.json
	sleep 0.5
	i=$((i + 1))
done
n2=$(grep -c 'key reload failed' "$SVC_LOG")
ok "retried and logged again ($n1, then $n2 failures)" [ "$n2" -gt "$n1" ]
chown -R "nobody:$SVC_GROUP" "$KD"
ok "fixed (chown, no stamp changes): the new key signs within 10 s" \
    wait_kid "$K2" 10
ok "no restart" kill -0 "$SVC_PID"
ok "the reload is logged" grep -q 'keys reloaded' "$SVC_LOG"

# ------------------------------------------------ the rotation limit
LIM=$(sub_conf lim)
"$AG_CTL" -c "$LIM" key generate >/dev/null 2>>"$AG_TMP/ctl-err.log"
i=1
loads=0
while [ $i -le 14 ]; do
	"$AG_CTL" -c "$LIM" key rotate >/dev/null \
	    2>>"$AG_TMP/ctl-err.log" || break
	"$AG_BIN" -c "$LIM" -t >/dev/null 2>>"$AG_TMP/ctl-err.log" &&
	    loads=$((loads + 1))
	i=$((i + 1))
done
is "$loads" 14 "14 rotations in a row: authgate -t passes after each"
"$AG_CTL" -c "$LIM" key rotate >"$AG_TMP/lim-out.log" \
    2>"$AG_TMP/lim-err.log"
is "$?" 1 "the 15th rotation is refused"
like "$(cat "$AG_TMP/lim-err.log")" \
    'rotation refused: the service loads at most 16 keys.*key retire' \
    "says why and names key retire"
ok "authgate -t still passes" "$AG_BIN" -c "$LIM" -t
# Three retired keys rotated out before access_token_ttl + leeway.
for k in $(ls "$AG_TMP/lim/keys" | grep -v next.key | head -3); do
	touch -d '-1 hour' "$AG_TMP/lim/keys/$k"
done
is "$("$AG_CTL" -c "$LIM" key list | grep -c ' expired ')" 3 \
    "key list shows them expired"
"$AG_CTL" -c "$LIM" key rotate >"$AG_TMP/lim-out.log" \
    2>"$AG_TMP/lim-err.log"
is "$?" 0 "then a rotation passes"
is "$(grep -c 'removed retired key' "$AG_TMP/lim-out.log")" 3 \
    "dropping the three expired keys"
ok "authgate -t passes" "$AG_BIN" -c "$LIM" -t

# ------------------------------------------------ long offline tokens
LONG=$(sub_conf long)
"$AG_CTL" -c "$LONG" key generate >/dev/null 2>>"$AG_TMP/ctl-err.log"
T=$("$AG_CTL" -c "$LONG" token issue alice --ttl 86400 \
    2>"$AG_TMP/long-err.log")
isnt "$T" "" "token issue --ttl 86400"
KL=$(kid_of "$T")
ok "records when its key may go" test -f "$AG_TMP/long/keys/$KL.until"
"$AG_CTL" -c "$LONG" key rotate >/dev/null 2>>"$AG_TMP/ctl-err.log"
touch -d '-2 hours' "$AG_TMP/long/keys/$KL.key"
ok "rotated out 2 hours ago, its day-long token still verifies" \
    "$AG_CTL" -c "$LONG" token verify "$T"
like "$("$AG_CTL" -c "$LONG" key list)" "$KL [A-Za-z0-9]* retired" \
    "key list: retired, not expired"

# ------------------------------------------------ 16 RSA-4096 keys
JW=$AG_TMP/jwks
mkdir -p "$JW"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 \
    -out "$JW/rsa.pem" 2>/dev/null
openssl rsa -in "$JW/rsa.pem" -noout -modulus 2>/dev/null |
    "$AG_PY" -c 'import base64, json, sys
n = bytes.fromhex(sys.stdin.read().strip().split("=")[1])
b = base64.urlsafe_b64encode(n).rstrip(b"=").decode()
print(json.dumps({"keys": [{"kty": "RSA", "e": "AQAB", "n": b,
    "kid": "rsa4096-%02d" % i} for i in range(16)]}))' >"$JW/jwks.json"
VER=$(sub_conf ver verify_only=yes "jwks_file=$JW/jwks.json" \
    algorithm=RS256)
MAIN_CONF=$AG_CONF
AG_CONF=$VER
ag_cgi GET /.well-known/jwks.json "" "" "" "$AG_BIN"
AG_CONF=$MAIN_CONF
is "$AG_STATUS" 200 "JWK Set of 16 RSA-4096 keys: 200"
is "$(printf '%s' "$AG_BODY" | "$AG_PY" -c 'import json, sys
print(len(json.load(sys.stdin)["keys"]))' 2>/dev/null)" 16 "all 16 served"

ag_no_sanitizer_reports
ag_done
