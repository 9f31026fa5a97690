#!/bin/sh
# Debian's Prometheus scrapes authgate's /metrics through lighttpd (2
# authgate processes x 2 threads, etc/lighttpd/authgate.conf as shipped)
# with the shipped scrape snippet and alerting rules, on its own
# temporary port and storage, stopped by PID at exit.  After 50 logins
# (10 failed), 200 /protected (20 with a bad signature) and one
# revocation, Prometheus's HTTP API returns exactly those counts: the
# pool's counters, whichever process answered the scrape.  promtool
# checks the exposition and the rules; authgatectl stats shows the same.
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl prometheus promtool
ag_tmpdir
# A password hash of ~10 ms, so that logins sent together overlap.
ag_setup_conf threads=2 lockout_threshold=0 password_hash=scrypt:ln=11,r=8,p=1
ag_init
ag_user alice alice-pw "read write"
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf"

ok "promtool check rules: etc/prometheus/authgate-rules.yml" sh -c \
    'promtool check rules "$1" >/dev/null' sh "$top_srcdir/etc/prometheus/authgate-rules.yml"

# 40 good logins, 10 bad passwords; all but two sent 8 at a time, so
# that both processes of the pool serve (one at a time, lighttpd would
# give every request to the first).
T=$(ag_token alice alice-pw)
T2=$(ag_token alice alice-pw)
par() {	# par N ARG...: N curl runs of ARG..., 8 at a time; their codes
	_n=$1
	shift
	seq "$_n" | xargs -P 8 -I @ curl -s -m 30 -o /dev/null \
	    -w '%{http_code}\n' "$@"
}
good=$(par 38 -d grant_type=password -d username=alice \
    -d password=alice-pw "$AG_URL/token" | grep -c '^200$')
bad=$(par 10 -d grant_type=password -d username=alice \
    -d password=wrong-pw "$AG_URL/token" | grep -c '^400$')
[ -n "$T" ] && [ -n "$T2" ] && good=$((good + 2))
is "$good/$bad" "40/10" "40 logins succeeded, 10 failed"

# 180 good /protected, 20 whose signature is another token's: 4 curls
# at once, each with many URLs (-o applies to the first only, hence the
# \n before each code).
FORGED="${T%.*}.${T2##*.}"
urls() { i=0; while [ $i -lt "$1" ]; do echo "$AG_URL/protected"; \
    i=$((i + 1)); done; }
protected() {	# protected TOKEN N: N /protected in 4 parallel curls
	urls "$2" | xargs -P 4 -n $(($2 / 4)) curl -s -m 60 \
	    -w '\n%{http_code}\n' -H "Authorization: Bearer $1"
}
codes_ok=$(protected "$T" 180 | grep -c '^200$')
codes_bad=$(protected "$FORGED" 20 | grep -c '^401$')
is "$codes_ok/$codes_bad" "180/20" "180 /protected accepted, 20 refused"
pids=$(cat "$AG_TMP"/*.log | sed -n 's/.*authgate\[\([0-9]*\)\]: token: .*issued jti.*/\1/p' |
    sort -u | wc -l)
is "$pids" 2 "both processes of the pool issued tokens"

ag_http POST /revoke -d "token=$T" -d token_type_hint=access_token
is "$AG_STATUS" 200 "one access token revoked"

# The exposition itself.
ag_http GET /metrics
is "$AG_STATUS" 200 "GET /metrics from 127.0.0.1: 200"
like "$(ag_header Content-Type)" '^text/plain; version=0\.0\.4' \
    "Prometheus text format 0.0.4"
printf '%s\n' "$AG_BODY" >"$AG_TMP/exposition.txt"
ok "promtool check metrics passes" \
    sh -c 'promtool check metrics <"$1" >"$1.lint" 2>&1' sh \
    "$AG_TMP/exposition.txt"

# Prometheus with the shipped snippet, pointed at this lighttpd.
PP=$(ag_free_port)
mkdir -p "$AG_TMP/prom"
sed -e "s|localhost:80|127.0.0.1:$AG_PORT|" \
    -e "s|scrape_interval: 15s|scrape_interval: 1s|" \
    -e "s|/etc/prometheus/authgate-rules.yml|$top_srcdir/etc/prometheus/authgate-rules.yml|" \
    "$top_srcdir/etc/prometheus/authgate-scrape.yml" >"$AG_TMP/prom.yml"
printf 'global:\n  evaluation_interval: 1s\n' >>"$AG_TMP/prom.yml"
ok "promtool check config: the shipped snippet" \
    sh -c 'promtool check config "$1" >"$1.check" 2>&1' sh "$AG_TMP/prom.yml"
ag_bg prometheus prometheus --config.file="$AG_TMP/prom.yml" \
    --storage.tsdb.path="$AG_TMP/prom" --web.listen-address="127.0.0.1:$PP" \
    --log.level=warn
PROM_PID=$AG_LAST_PID
ag_wait_port "$PP" 30 || fail "prometheus listens"

# q EXPR: the value of an instant query (empty when no result).
q() {
	curl -s -m 5 "http://127.0.0.1:$PP/api/v1/query" \
	    --data-urlencode "query=$1" | "$AG_PY" -c 'import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "")
except Exception:
    print("")'
}

# Wait (30 s at most) for a scrape that saw the revocation.
i=0
while [ "$(q 'authgate_revocations_total{type="access_token"}')" != 1 ] &&
    [ $i -lt 60 ]; do
	sleep 0.5
	i=$((i + 1))
done
is "$(q 'up{job="authgate"}')" 1 "Prometheus scrapes authgate"
is "$(q 'authgate_revocations_total{type="access_token"}')" 1 \
    "revocations_total{type=access_token}: 1"
is "$(q 'authgate_tokens_issued_total{grant="password"}')" 40 \
    "tokens_issued_total{grant=password}: 40"
is "$(q 'authgate_login_failures_total{reason="credentials"}')" 10 \
    "login_failures_total{reason=credentials}: 10"
is "$(q 'sum(authgate_requests_total{endpoint="token"})')" 50 \
    "requests_total{endpoint=token}: 50"
is "$(q 'authgate_requests_total{endpoint="token",code="400"}')" 10 \
    "requests_total{endpoint=token,code=400}: 10"
is "$(q 'authgate_requests_total{endpoint="protected",code="200"}')" 180 \
    "requests_total{endpoint=protected,code=200}: 180"
is "$(q 'authgate_requests_total{endpoint="protected",code="401"}')" 20 \
    "requests_total{endpoint=protected,code=401}: 20"
is "$(q 'authgate_token_rejections_total{reason="signature"}')" 20 \
    "token_rejections_total{reason=signature}: 20"
is "$(q 'sum(authgate_token_rejections_total)')" 20 \
    "no other rejection counted"
is "$(q 'authgate_request_duration_seconds_count{endpoint="protected"}')" \
    200 "duration histogram of /protected: 200 observations"
is "$(q 'authgate_request_duration_seconds_bucket{endpoint="protected",le="+Inf"}')" \
    200 "  its +Inf bucket: 200"
is "$(q 'authgate_build_info{algorithm="HS256"}')" 1 "build_info"
is "$(q 'authgate_config_last_reload_success')" 1 "last reload succeeded"
rules=$(curl -s -m 5 "http://127.0.0.1:$PP/api/v1/rules" | "$AG_PY" -c '
import json, sys
g = json.load(sys.stdin)["data"]["groups"]
r = [x for grp in g for x in grp["rules"]]
print(len(r), sum(1 for x in r if x.get("health") == "err"))')
is "$rules" "4 0" "Prometheus loaded the 4 shipped rules, none failing"
ag_stop "$PROM_PID"

# Both lighttpd processes served: the counts above are the pool's.
npids=$(pgrep -P "$AG_LIGHTTPD_PID" -f authgate | wc -l)
is "$npids" 2 "lighttpd runs 2 authgate processes"

stats=$(ag_ctl stats 2>&1)
like "$stats" 'tokens issued, password grant +40' "authgatectl stats: 40 issued"
like "$stats" 'login failures, credentials +10' "authgatectl stats: 10 failures"
like "$stats" 'protected +401 +20' "authgatectl stats: 20 /protected 401"

# metrics_allow: others 403, empty 404 (CGI runs with a chosen address).
ag_cgi GET /metrics "" "" "" env REMOTE_ADDR=192.0.2.7 "$AG_BIN"
is "$AG_STATUS" 403 "/metrics from an address not in metrics_allow: 403"
ag_cgi GET /metrics "" "" "" env REMOTE_ADDR=::1 "$AG_BIN"
is "$AG_STATUS" 200 "/metrics from ::1: 200"
sed 's/^metrics_allow.*//' "$AG_CONF" >"$AG_TMP/empty.conf"
echo "metrics_allow =" >>"$AG_TMP/empty.conf"
ag_cgi GET /metrics "" "" "" env AUTHGATE_CONF="$AG_TMP/empty.conf" "$AG_BIN"
is "$AG_STATUS" 404 "metrics_allow empty: 404"
ag_cgi POST /metrics "" "" "" "$AG_BIN"
is "$AG_STATUS" 405 "POST /metrics: 405"
ag_no_sanitizer_reports
ag_done
