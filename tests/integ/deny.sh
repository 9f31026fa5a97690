#!/bin/sh
# The deny list (src/deny.c) behind lighttpd with the shipped
# etc/lighttpd/authgate.conf (several authgate processes): one token
# revoked 1000 times at once is one entry; many tokens revoked at once
# are each refused by every process and each listed once; a list of
# 5 MiB and more stops no login (no 503) and no valid token, and shrinks
# as its tokens expire; authgatectl token revoke (by token, by --jti)
# is refused by the running server at once.
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl
ag_tmpdir
ag_setup_conf
ag_init
ag_user alice alice-pw "read"
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf"
LIST=$AG_TMP/state.db.revoked

# entries JTI: how many lines of the list name JTI.
entries()
{
	awk -v j="$1" '$1 == j { n++ } END { print n + 0 }' "$LIST"
}

# jti_of TOKEN: its jti, as authgatectl token verify prints it.
jti_of()
{
	ag_ctl token verify "$1" 2>/dev/null | "$AG_PY" -c \
	    'import json, sys; print(json.load(sys.stdin)["jti"])'
}

# head_sorted: the list starts with the header of sorted records.
head_sorted()
{
	head -n 1 "$LIST" | grep -q '^#authgate-revoked '
}

# fills: how many of the filler entries the list holds.
fills()
{
	awk '$1 ~ /^fill-/ { n++ } END { print n + 0 }' "$LIST"
}

# refused_by_ctl TOKEN: authgatectl token verify refuses TOKEN.
refused_by_ctl()
{
	! ag_ctl token verify "$1" >/dev/null 2>&1
}

# quiet COMMAND...: COMMAND with its output dropped.
quiet()
{
	"$@" >/dev/null 2>&1
}

# race OUT MODE TOKEN...: with N threads released together (a barrier),
# MODE revoke: each token revoked (each of them 1000 times when only
# one is given); then for every token a burst of 8 GETs of /protected.
# Prints the statuses seen to OUT.
race()
{
	_out=$1
	shift
	"$AG_PY" - "$AG_PORT" "$@" >"$_out" 2>&1 <<'EOF'
import http.client, sys, threading, urllib.parse
port, mode, toks = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
jobs = toks * 1000 if len(toks) == 1 else toks
nthr = min(len(jobs), 32)
bar = threading.Barrier(nthr)
rev, get = [], []
lock = threading.Lock()
def revoke(mine):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    bar.wait()
    for t in mine:
        c.request("POST", "/revoke", urllib.parse.urlencode({"token": t}),
                  {"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        r.read()
        with lock:
            rev.append(r.status)
    c.close()
def burst(t):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/protected", headers={"Authorization": "Bearer " + t})
    r = c.getresponse()
    r.read()
    with lock:
        get.append(r.status)
    c.close()
if mode == "revoke":
    ts = [threading.Thread(target=revoke, args=(jobs[i::nthr],))
          for i in range(nthr)]
    for t in ts: t.start()
    for t in ts: t.join()
for tok in toks:
    ts = [threading.Thread(target=burst, args=(tok,)) for i in range(8)]
    for t in ts: t.start()
    for t in ts: t.join()
print("revoke", sorted(set(rev)), len(rev), "get", sorted(set(get)), len(get))
EOF
}

# -- one token revoked 1000 times at once: one entry
T1=$(ag_token alice alice-pw)
J1=$(jti_of "$T1")
race "$AG_TMP/r1.out" revoke "$T1"
out=$(cat "$AG_TMP/r1.out")
diag "same token: $out"
is "$out" "revoke [200] 1000 get [401] 8" \
    "one token revoked 1000 times at once: all 200, then refused"
is "$(entries "$J1")" 1 "  one entry in the list"

# -- 48 tokens revoked at once: each refused everywhere, each once
TOKS=
for i in $(seq 48); do
	TOKS="$TOKS $(ag_token alice alice-pw)"
done
# shellcheck disable=SC2086
race "$AG_TMP/r2.out" revoke $TOKS
out=$(cat "$AG_TMP/r2.out")
diag "48 tokens: $out"
is "$out" "revoke [200] 48 get [401] 384" \
    "48 tokens revoked at once: each refused by every process"
dups=$(awk '$1 !~ /^#/ { n[$1]++ } END { for (j in n) if (n[j] > 1) d++
    print d + 0 }' "$LIST")
is "$dups" 0 "  no jti twice in the list"

# -- a list of 5 MiB and more: logins and valid tokens go on.  Lines as
# an older version appended them (the cap that used to refuse every
# token and fail every login was 4 MiB); half of them expired.
KEEP=$(ag_token alice alice-pw)
"$AG_PY" - "$LIST" <<'EOF'
import sys, time
now = int(time.time())
with open(sys.argv[1], "a") as f:
    for i in range(120000):
        f.write("fill-%06d-abcdefghijklmnopqrstu %d\n"
                % (i, now - 60 if i % 2 else now + 3600))
EOF
size=$(wc -c <"$LIST")
# Written by hand, no change counted: processes look within a second.
sleep 1.1
ok "list of $size bytes, over 5 MiB" [ "$size" -gt 5242880 ]
ag_http GET /protected -H "Authorization: Bearer $KEEP"
is "$AG_STATUS" 200 "  a token not revoked passes"
ag_http GET /protected -H "Authorization: Bearer $T1"
is "$AG_STATUS" 401 "  a revoked one is refused"
n503=0 n200=0
for i in $(seq 110); do
	ag_http POST /token --data-urlencode grant_type=password \
	    --data-urlencode username=alice --data-urlencode password=alice-pw
	[ "$AG_STATUS" = 200 ] && n200=$((n200 + 1))
	[ "$AG_STATUS" = 503 ] && n503=$((n503 + 1))
done
is "$n200/$n503" "110/0" "  110 logins: all 200, no 503"
# More than STATE_PURGE_WRITES writes to state_db, and the batches each
# process counts in memory (a login writes nothing; a failure does):
# the purge prunes the list.
n400=0
for i in $(seq 150); do
	ag_http POST /token --data-urlencode grant_type=password \
	    --data-urlencode "username=nobody$i" --data-urlencode password=x
	[ "$AG_STATUS" = 400 ] && n400=$((n400 + 1))
done
is "$n400" 150 "  150 failed logins: all 400"
after=$(wc -c <"$LIST")
diag "list: $size bytes before, $after after"
is "$(fills)" 60000 "  the purge dropped the expired half"
ok "  and sorted the rest" head_sorted
is "$(entries fill-000000-abcdefghijklmnopqrstu)" 1 "  a live entry kept"
is "$(entries fill-000001-abcdefghijklmnopqrstu)" 0 \
    "  an expired one dropped"
race "$AG_TMP/r3.out" check "$KEEP"
is "$(cat "$AG_TMP/r3.out")" "revoke [] 0 get [200] 8" \
    "  the token not revoked passes in every process"
race "$AG_TMP/r4.out" check "$T1"
is "$(cat "$AG_TMP/r4.out")" "revoke [] 0 get [401] 8" \
    "  the revoked one is refused in every process"

# -- authgatectl token revoke: a token from token issue, then by --jti
CT=$(ag_ctl token issue alice --ttl 31536000)
race "$AG_TMP/r5.out" check "$CT"
is "$(cat "$AG_TMP/r5.out")" "revoke [] 0 get [200] 8" \
    "a token from authgatectl token issue passes"
ag_ctl token revoke "$CT" >"$AG_TMP/ctl.out" 2>&1
like "$(cat "$AG_TMP/ctl.out")" '^revoked jti ' "authgatectl token revoke TOKEN"
race "$AG_TMP/r6.out" check "$CT"
is "$(cat "$AG_TMP/r6.out")" "revoke [] 0 get [401] 8" \
    "  refused by every process of the running server at once"
ok "  and by authgatectl token verify" refused_by_ctl "$CT"
CT2=$(ag_ctl token issue alice)
J2=$(jti_of "$CT2")
printf '%s\n' "$CT2" | ag_ctl token revoke >/dev/null 2>&1
ok "authgatectl token revoke --jti JTI --ttl 600" \
    quiet ag_ctl token revoke --jti "$J2" --ttl 600
is "$(entries "$J2")" 1 "  a token from stdin then by --jti: one entry"
CT3=$(ag_ctl token issue alice)
ag_ctl token revoke --jti "$(jti_of "$CT3")" --until \
    "$(($(date +%s) + 600))" >/dev/null 2>&1
ag_http GET /protected -H "Authorization: Bearer $CT3"
is "$AG_STATUS" 401 "authgatectl token revoke --jti --until: refused"
ag_ctl token revoke --jti "a b" >/dev/null 2>&1
is "$?" 1 "a jti with a space: refused (exit 1)"
ag_ctl token revoke "$CT" --jti x >/dev/null 2>&1
is "$?" 2 "a token and --jti: usage (exit 2)"
ag_ctl token revoke "not.a.token" >/dev/null 2>&1
is "$?" 1 "an invalid token: refused (exit 1)"

# -- run as root, authgatectl keeps the owner of the state directory on
# the files it makes (authgate, running as its own user, rewrites them)
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -p "$AG_TMP/own"
	chown nobody "$AG_TMP/own"
	OWNCONF=$AG_TMP/own.conf
	sed "s|^state_db = .*|state_db = $AG_TMP/own/state.db|" "$AG_CONF" \
	    >"$OWNCONF"
	for i in $(seq 520); do
		"$AG_CTL" -c "$OWNCONF" token revoke --jti "own-$i" --ttl 60 \
		    >/dev/null 2>&1 || break
	done
	is "$(stat -c %U "$AG_TMP/own/state.db.revoked" \
	    "$AG_TMP/own/state.db.revoked.gen" \
	    "$AG_TMP/own/state.db.revoked.compact" | sort -u)" nobody \
	    "as root: the list, rewritten, its counter and lock keep the owner"
else
	skip 1 "not root"
fi

ag_no_sanitizer_reports
ag_done
