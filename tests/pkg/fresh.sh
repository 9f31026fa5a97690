#!/bin/sh
# README's two commands for a fresh Debian 12 machine, in a clean chroot
# (debootstrap --variant=minbase bookworm) holding only the committed
# tree: ./run-tests.sh installs what it needs, builds and tests, and its
# last line must be "N passed, 0 failed"; then ./demo.sh starts the demo
# and the curl lines it prints must get a token and use it; ./demo.sh
# stop stops it.  Deviation: FUZZ_SECONDS (default here 10, run-tests.sh's
# own is 60) to keep it short.  Run as root by `make freshcheck`; about
# 20 minutes.
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/pkg/lib.sh"

pk_chroot
mkdir -p "$R/root/src"
(cd "$top" && git archive --prefix=authgate/ HEAD) | tar -x -C "$R/root/src" ||
    pk_bail "cannot copy the source"

# The two commands, as README gives them.
cmds=$(sed -n '/^## Two commands/,/^## /p' "$top/README.md" |
    sed -n 's/^    \(\.\/[^ ]*\).*/\1/p')
pk_is "$(printf '%s\n' "$cmds" | tr '\n' ' ')" "./demo.sh ./run-tests.sh " \
    "README's two commands"

cr "cd /root/src/authgate && FUZZ_SECONDS=${FUZZ_SECONDS:-10} \
    ./run-tests.sh" >"$R/root/run-tests.log" 2>&1
rc=$?
last=$(tail -n 1 "$R/root/run-tests.log")
pk_log "run-tests.sh: $last (exit $rc)"
pk_ok "./run-tests.sh on a fresh machine: exit 0" test "$rc" -eq 0 ||
    pk_log "$(grep -E '^(FAIL|ERROR|not ok)' "$R/root/run-tests.log" | head -n 20)"
pk_ok "./run-tests.sh: last line N passed, 0 failed" \
    sh -c 'printf "%s\n" "$0" | grep -Eq "^[0-9]+ passed, 0 failed"' "$last"

cr "cd /root/src/authgate && ./demo.sh" >"$R/root/demo.log" 2>&1
pk_ok "./demo.sh: exit 0" test $? -eq 0 || pk_log "$(tail -n 20 "$R/root/demo.log")"
# The first curl line it prints gets a token; /protected takes it.
tok=$(cr "curl -s -m 10 -d grant_type=password -d username=demo \
    -d password=demo-password http://127.0.0.1:8080/token" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
pk_ok "demo: a token for user demo" test -n "$tok"
pk_is "$(cr "curl -s -m 10 -o /dev/null -w '%{http_code}' \
    -H 'Authorization: Bearer $tok' http://127.0.0.1:8080/protected")" 200 \
    "demo: the token opens /protected"
pk_ok "demo prints the curl lines it tells of" grep -q 'curl' "$R/root/demo.log"
# The sign-in page it tells of is there.
pk_ok "demo tells of the sign-in page" grep -q '8080/login' "$R/root/demo.log"
page=$(cr "curl -s -m 10 http://127.0.0.1:8080/login")
pk_ok "demo: /login is the sign-in form" \
    sh -c 'printf "%s" "$0" | grep -q "type=\"password\""' "$page"
cr "cd /root/src/authgate && ./demo.sh stop" >>"$R/root/demo.log" 2>&1
pk_ok "./demo.sh stop: exit 0" test $? -eq 0
pk_done
