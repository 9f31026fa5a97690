#!/bin/sh
# Lockout at any concurrency (SPEC "State and lifecycle"): authgate as
# CGI under lighttpd (etc/lighttpd/authgate-cgi.conf), where every
# request is a process of its own and the web server runs as many at
# once as arrive.  64 logins of one user with wrong passwords released
# together (a barrier), lockout_threshold = 5: at most 5 passwords are
# checked; the others are refused without a check, every request is
# answered 400, and the right password is refused afterwards.  (The
# right password among them made the test depend on the order: a
# success forgets the failures before it, as "consecutive failures"
# means, and the attempts after it start a new count.)
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl
ag_require_py
ag_tmpdir

ag_setup_conf lockout_threshold=5 lockout_seconds=300
ag_init
ag_user kim kim-pw "read"
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate-cgi.conf"

# The shipped file mounts the program under /authgate/.
out=$("$AG_PY" - "$AG_URL/authgate/token" 64 <<'EOF' 2>"$AG_TMP/storm.err"
import sys, threading, urllib.error, urllib.parse, urllib.request
url, n = sys.argv[1], int(sys.argv[2])
barrier = threading.Barrier(n)
res = [None] * n
def one(i):
    pw = "wrong-%d" % i
    data = urllib.parse.urlencode({"grant_type": "password",
        "username": "kim", "password": pw}).encode()
    barrier.wait()
    try:
        res[i] = urllib.request.urlopen(url, data, timeout=60).status
    except urllib.error.HTTPError as e:
        res[i] = e.code
    except Exception as e:
        res[i] = repr(e)
ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join()
print(sum(1 for r in res if r == 200), sum(1 for r in res if r == 400),
      len(res))
bad = [r for r in res if r not in (200, 400)]
if bad:
    sys.stderr.write("other answers: %r\n" % bad[:10])
EOF
)
set -- $out
is "${1:-x}+${2:-x}" "${1:-x}+$((64 - ${1:-0}))" \
    "64 logins at once: every one answered 200 or 400" ||
    diag "$(cat "$AG_TMP/storm.err")"
ok "64 logins at once: none 200" test "${1:-9}" -eq 0
# The programs' standard error: lighttpd's own (mod_cgi passes it on).
log=$AG_TMP/lighttpd.log
checked=$(grep -c 'user "kim": login failed (bad password)' "$log")
refused=$(grep -c 'user "kim": login failed (locked out)' "$log")
diag "passwords checked: $checked, refused unchecked: $refused"
ok "64 logins at once, lockout_threshold 5: at most 5 passwords checked" \
    test "$checked" -le 5
is "$((checked + refused))" 64 "  every attempt logged as one or the other"
like "$(ag_ctl user show kim)" 'locked_out_until: [0-9]' "  kim is locked out"
ag_http POST /authgate/token -d grant_type=password -d username=kim \
    -d password=kim-pw
is "$AG_STATUS" 400 "  and the right password is refused now"

ag_no_sanitizer_reports
ag_done
