#!/bin/sh
# User enumeration (SPEC, SECURITY.md): an unknown user, a wrong password
# and a locked user get byte-identical answers (status, headers but
# Date, body) and take the same time, at the default password hash cost
# (password_hash = scrypt, not the low cost of the other tests).  Through
# lighttpd with the shipped etc/lighttpd/authgate.conf.
#
# A stored hash in a refused form ($apr1$) or a legacy one (another scheme
# or cost, re-hashed at the next login) takes the same time too.
#
# Timing: ENUM_TRIES (default 30) alternating tries of each kind; fails
# only on a large difference (medians differing by more than 25 % and
# more than 20 ms), which a missing dummy hash would give (a scrypt of
# the default cost takes far longer than a lookup).
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl
ag_tmpdir

# Lockout off for the timing: every try takes the same path as the
# first.  The lockout's own answer is checked by lockout.sh.
ag_setup_conf password_hash=scrypt lockout_threshold=0
ag_init
ag_user alice alice-pw "read"
ag_user locked locked-pw "read"
# A legacy hash (bcrypt, cost 4: re-hashed at the next login, and far
# cheaper than the dummy) and one in a refused form ($apr1$, as an old
# htdbm file may hold), written as another tool would.
htpasswd -nbB -C 4 legacy legacy-pw >"$AG_TMP/legacy.htpasswd"
ag_ctl user import "$AG_TMP/legacy.htpasswd" >/dev/null 2>&1 ||
    { echo "Bail out! user import failed"; exit 1; }
"$AG_PY" - "$AG_TMP/users.db" <<'EOF' || { echo "Bail out! dbm.gnu"; exit 1; }
import dbm.gnu, sys
db = dbm.gnu.open(sys.argv[1], "w")
db[b"refused"] = b"$apr1$jzHJtvU.$YCj.un5zPcWTJ08fWAtbg.:read"
db.close()
EOF
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf"

# answer USER PASSWORD FILE: the whole answer but Date, into FILE.
answer()
{
	curl -s -m 30 -i -X POST --data-urlencode grant_type=password \
	    --data-urlencode "username=$1" --data-urlencode "password=$2" \
	    "$AG_URL/token" | tr -d '\r' | grep -iv '^date:' >"$3"
}

if ! ag_ctl user lock locked >/dev/null 2>"$AG_TMP/lock.err"; then
	echo "Bail out! authgatectl user lock failed: $(cat "$AG_TMP/lock.err")"
	exit 1
fi

answer alice wrong-pw "$AG_TMP/wrong"
answer nobody wrong-pw "$AG_TMP/unknown"
answer locked locked-pw "$AG_TMP/locked"
answer locked wrong-pw "$AG_TMP/locked-wrong"
like "$(head -n 1 "$AG_TMP/wrong")" '^HTTP/[0-9.]+ 400' \
    "wrong password: 400"
like "$(cat "$AG_TMP/wrong")" '"error":"invalid_grant"' \
    "wrong password: invalid_grant"
ok "unknown user: byte-identical answer to a wrong password" \
    cmp -s "$AG_TMP/wrong" "$AG_TMP/unknown" ||
    diag "$(diff "$AG_TMP/wrong" "$AG_TMP/unknown")"
ok "locked user, right password: byte-identical answer" \
    cmp -s "$AG_TMP/wrong" "$AG_TMP/locked" ||
    diag "$(diff "$AG_TMP/wrong" "$AG_TMP/locked")"
ok "locked user, wrong password: byte-identical answer" \
    cmp -s "$AG_TMP/wrong" "$AG_TMP/locked-wrong" ||
    diag "$(diff "$AG_TMP/wrong" "$AG_TMP/locked-wrong")"
# A name that is not even a valid user name.
answer 'no:such user' wrong-pw "$AG_TMP/invalid-name"
ok "invalid user name: byte-identical answer" \
    cmp -s "$AG_TMP/wrong" "$AG_TMP/invalid-name" ||
    diag "$(diff "$AG_TMP/wrong" "$AG_TMP/invalid-name")"

# -- timing
out=$("$AG_PY" - "$AG_PORT" "${ENUM_TRIES:-30}" <<'EOF' 2>"$AG_TMP/timing.err"
import http.client, statistics, sys, time, urllib.parse
port, n = int(sys.argv[1]), int(sys.argv[2])
kinds = {"wrong": ("alice", "wrong-pw"), "unknown": ("nobody", "wrong-pw"),
         "locked": ("locked", "locked-pw"), "legacy": ("legacy", "wrong-pw"),
         "refused": ("refused", "wrong-pw")}
times = {k: [] for k in kinds}
deadline = time.time() + 120
def one(user, pw):
    body = urllib.parse.urlencode({"grant_type": "password",
                                   "username": user, "password": pw})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    t0 = time.perf_counter()
    c.request("POST", "/token", body,
              {"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    r.read()
    t = time.perf_counter() - t0
    c.close()
    if r.status != 400:
        raise SystemExit("status %d for %s" % (r.status, user))
    return t
one("alice", "warm-up")
for i in range(n):
    if time.time() > deadline:
        break
    order = list(kinds) if i % 2 == 0 else list(reversed(list(kinds)))
    for k in order:
        times[k].append(one(*kinds[k]))
for k in kinds:
    print(k, "%.1f" % (statistics.median(times[k]) * 1000), len(times[k]))
EOF
)
rc=$?
is "$rc" 0 "timing: every try answered 400" || diag "$(cat "$AG_TMP/timing.err")"
diag "median ms (kind, median, tries):" "$out"
w=$(printf '%s\n' "$out" | awk '$1 == "wrong" { print $2 }')
for kind in unknown locked legacy refused; do
	m=$(printf '%s\n' "$out" | awk -v k="$kind" '$1 == k { print $2 }')
	if [ -z "$w" ] || [ -z "$m" ]; then
		fail "timing: $kind vs wrong password measured"
		continue
	fi
	# Fail on a difference > 25 % of the larger AND > 20 ms.
	if awk -v a="$w" -v b="$m" 'BEGIN {
	    d = a - b; if (d < 0) d = -d; mx = a > b ? a : b
	    exit !(d > 20 && d > 0.25 * mx) }'; then
		fail "timing: $kind user ($m ms) vs wrong password ($w ms): within noise"
	else
		pass "timing: $kind user ($m ms) vs wrong password ($w ms): within noise"
	fi
done
# The dummy hash must cost what a real one does: a wrong password at the
# default cost is far from free.
ok "timing: a failed login at the default cost takes a real hash (> 5 ms)" \
    awk -v a="${w:-0}" 'BEGIN { exit !(a > 5) }'

ag_no_sanitizer_reports
ag_done
