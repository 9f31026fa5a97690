#!/bin/sh
# Set up and run every test of authgate on Debian 12:
#   ./run-tests.sh            install the Debian packages, then test
#   ./run-tests.sh --no-install
# Three builds under build/: plain, ASan+UBSan, and libFuzzer (each fuzz
# target for FUZZ_SECONDS, default 60).  The last line is
# "N passed, N failed", summed over every suite (CI reads it); the line
# before it counts the skipped checks, which are neither.
set -u
cd "$(dirname "$0")" || exit 2
top=$(pwd)

PACKAGES="build-essential autoconf automake pkg-config clang libclang-rt-dev
 libfcgi-dev libssl-dev libjson-c-dev libgdbm-dev libcrypt-dev
 lighttpd apache2 apache2-utils apache2-dev libapache2-mod-fcgid nginx-light
 spawn-fcgi libfcgi-bin systemd curl mandoc valgrind whois iproute2 procps
 python3 python3-requests-oauthlib python3-jwt python3-cryptography
 python3-passlib python3-gdbm prometheus logrotate
 chromium chromium-driver python3-selenium"

if [ "${1:-}" != "--no-install" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null || exit 1
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $PACKAGES >/dev/null ||
	    exit 1
fi

passed=0
failed=0
skipped=0

# Add the results of the automake test logs under $1 to the totals.
count() {
	p=$(cat "$1"/tests/*.trs "$1"/tests/*/*.trs 2>/dev/null |
	    grep -c '^:test-result: PASS')
	f=$(cat "$1"/tests/*.trs "$1"/tests/*/*.trs 2>/dev/null |
	    grep -cE '^:test-result: (FAIL|ERROR|XPASS)')
	s=$(cat "$1"/tests/*.trs "$1"/tests/*/*.trs 2>/dev/null |
	    grep -c '^:test-result: SKIP')
	echo "$2: $p passed, $f failed, $s skipped"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

# Build in build/$1 with configure options $2..., then run make check.
suite() {
	name=$1
	shift
	echo "== $name build"
	rm -rf "build/$name"
	mkdir -p "build/$name"
	(cd "build/$name" && "$top/configure" -q --enable-werror "$@" &&
	    make -j2 -s) || { failed=$((failed + 1)); return; }
	(cd "build/$name" && make -j2 check >check.out 2>&1)
	grep -E '^(FAIL|ERROR|XPASS):' "build/$name/check.out"
	for log in $(grep -lE '^(not ok|Bail out)' \
	    "build/$name"/tests/*.log "build/$name"/tests/*/*.log 2>/dev/null); do
		echo "--- $log"
		grep -E -A4 '^(not ok|Bail out)' "$log" | head -n 60
	done
	count "build/$name" "$name"
}

autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed"; exit 1; }
suite plain
suite sanitizers --enable-sanitizers

echo "== fuzz build"
rm -rf build/fuzz
mkdir -p build/fuzz
if (cd build/fuzz && "$top/configure" -q --enable-fuzz CC=clang &&
    make -j2 -s fuzz-build); then
	for t in build/fuzz/tests/fuzz/fuzz_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		corpus=$(mktemp -d)
		cp "$top/tests/fuzz/corpus/${name#fuzz_}"/* "$corpus" 2>/dev/null
		if "$t" -max_total_time="${FUZZ_SECONDS:-60}" -rss_limit_mb=2048 \
		    -print_final_stats=1 "$corpus" >"$t.log" 2>&1; then
			passed=$((passed + 1))
			echo "$name: $(grep -m1 stat::number_of_executed_units \
			    "$t.log" | awk '{print $2}') executions in" \
			    "${FUZZ_SECONDS:-60} s"
		else
			failed=$((failed + 1))
			echo "$name: FAILED"
			tail -n 30 "$t.log"
		fi
		rm -rf "$corpus"
	done
else
	failed=$((failed + 1))
	echo "fuzz build failed"
fi

echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
