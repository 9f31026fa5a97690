#!/bin/sh
# make pkgcheck: the package tests in clean Debian 12 chroots, one after
# the other; a summary line each.  Not part of make check (minutes, the
# network, root).
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
export top_srcdir=$top
rc=0
for t in package source; do
	log=tests-pkg-$t.log
	sh "$top/tests/pkg/$t.sh" >"$log" 2>&1
	r=$?
	case $r in
	0) echo "PASS: tests/pkg/$t.sh ($(tail -n 1 "$log" | sed 's/^# //'))" ;;
	77) echo "SKIP: tests/pkg/$t.sh ($(grep -m1 SKIP "$log"))" ;;
	*) echo "FAIL: tests/pkg/$t.sh (see $log)"; grep '^not ok' "$log"; rc=1 ;;
	esac
done
exit $rc
