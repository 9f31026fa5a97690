#!/bin/sh
# Where standard error goes nowhere (spawn-fcgi, Debian's lighttpd
# without server.breakagelog give authgate /dev/null), its log lines go
# to syslog instead of being lost; with a real standard error they stay
# there.  Runs authgate as a CGI with a missing configuration (a 503
# and two log lines) in a mount namespace whose /dev is a tmpfs with
# /dev/null and a /dev/log this test listens on.
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
[ "$(id -u)" -eq 0 ] || skip_all "needs root (unshare -m, mount)"
ag_require_cmd unshare mknod
# (Not in a chroot, where / is no mount point: unshare cannot make the
# mounts private.)
unshare -m sh -c 'mount -t tmpfs tmpfs /dev' >/dev/null 2>&1 ||
    skip_all "cannot mount a private /dev (unshare -m; a chroot?)"
ag_tmpdir

cp "$top_srcdir/tests/integ/devlog.py" "$AG_TMP/listen.py"
# run REDIRECT: authgate as a CGI with its standard error sent to
# REDIRECT ("null" or "file"); syslog datagrams in $AG_TMP/syslog.
run() {
	rm -f "$AG_TMP/syslog" "$AG_TMP/syslog.ready" "$AG_TMP/stderr"
	unshare -m sh -c '
	    mount -t tmpfs -o mode=755 tmpfs /dev || exit 1
	    mknod -m 666 /dev/null c 1 3 || exit 1
	    "$0" "$1/listen.py" "$1/syslog" &
	    i=0
	    while [ ! -e "$1/syslog.ready" ] && [ $i -lt 200 ]; do
		sleep 0.1; i=$((i + 1)); done
	    if [ "$2" = null ]; then err=/dev/null; else err=$1/stderr; fi
	    env -i REQUEST_METHOD=GET REQUEST_URI=/protected \
		AUTHGATE_CONF="$1/missing.conf" "$3" </dev/null \
		>"$1/out" 2>"$err"
	    wait' "$AG_PY" "$AG_TMP" "$1" "$AG_BIN"
}
run null
like "$(head -n 1 "$AG_TMP/out")" '^Status: 503' "missing configuration: 503"
like "$(cat "$AG_TMP/syslog" 2>/dev/null)" \
    '^<27>.*authgate\[[0-9]+\]: .*missing.conf: No such file or directory' \
    "stderr /dev/null: the line goes to syslog (daemon.err)"
run file
like "$(cat "$AG_TMP/stderr")" 'missing.conf: No such file or directory' \
    "stderr a file: the line goes there"
is "$(cat "$AG_TMP/syslog" 2>/dev/null)" "" "  and not to syslog"
ag_done
