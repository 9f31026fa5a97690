#!/bin/sh
# Integration test: authgate under nginx with the shipped
# etc/nginx/authgate.conf (its placeholders @PORT@ @SOCKET@ @DOCROOT@
# filled in with sed, nothing else changed), authgate started by
# spawn-fcgi under a user of its own (nobody here), nginx's workers as
# www-data.  The checks run twice: as shipped, and with the commented
# upstream keepalive + fastcgi_keep_conn on lines turned on.  Runs as
# root.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integ/lib.sh"

AG_USER=nobody
AG_GROUP=nogroup

[ "$(id -u)" -eq 0 ] || skip_all "needs root (nginx and spawn-fcgi switch users)"
ag_require_bins
ag_require_cmd nginx spawn-fcgi curl ss
nginx -V 2>&1 | grep -q http_auth_request_module ||
    skip_all "nginx lacks auth_request (install nginx-light or nginx-core)"
id www-data >/dev/null 2>&1 && id "$AG_USER" >/dev/null 2>&1 ||
    skip_all "no www-data or $AG_USER user"

ag_tmpdir
chmod 755 "$AG_TMP"
ag_bin_public
mkdir -p "$AG_TMP/var" "$AG_TMP/htdocs/private" "$AG_TMP/run"
ag_setup_conf "user_db=$AG_TMP/var/users.db" \
    "state_db=$AG_TMP/var/state.db" "key_file=$AG_TMP/var/signing.key"
chmod 644 "$AG_CONF"
ag_init
ag_user alice "open sesame" "read write"
# Only authgate's user can read the key and the databases.
chown -R "$AG_USER:$AG_GROUP" "$AG_TMP/var"
chmod 700 "$AG_TMP/var"
echo "secret file" >"$AG_TMP/htdocs/private/file.txt"
echo "public" >"$AG_TMP/htdocs/index.html"

sock=$AG_TMP/run/authgate.sock
pidf=$AG_TMP/run/authgate.pid
# spawn-fcgi (root) creates the socket, gives it to www-data (nginx),
# and starts two authgate processes as $AG_USER sharing it.
start_authgate() {
	AUTHGATE_CONF=$AG_CONF spawn-fcgi -s "$sock" -M 0660 \
	    -U www-data -G www-data -u "$AG_USER" -g "$AG_GROUP" -F 2 \
	    -P "$pidf" -- "$AG_BIN" >"$AG_TMP/spawn.log" 2>&1
}
stop_authgate() {
	[ -s "$pidf" ] || return 0
	for p in $(cat "$pidf"); do
		kill "$p" 2>/dev/null
	done
	for p in $(cat "$pidf"); do
		_i=0
		while kill -0 "$p" 2>/dev/null && [ $_i -lt 100 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -KILL "$p" 2>/dev/null
	done
	rm -f "$pidf" "$sock"
}
ag_add_log "$AG_TMP/spawn.log"

AG_PORT=$(ag_free_port)
AG_URL=http://127.0.0.1:$AG_PORT
cp /etc/nginx/fastcgi_params "$AG_TMP/fastcgi_params"
ag_nginx_conf "$AG_TMP/nginx.conf" "include $AG_TMP/site.conf;"
fill() {
	sed -e "s|@PORT@|127.0.0.1:$AG_PORT|g" -e "s|@SOCKET@|$sock|g" \
	    -e "s|@DOCROOT@|$AG_TMP/htdocs|g" \
	    "$top_srcdir/etc/nginx/authgate.conf"
}
nginx_t() {
	nginx -t -p "$AG_TMP" -c "$AG_TMP/nginx.conf" >"$AG_TMP/nginx-t.log" 2>&1
}
ag_add_log "$AG_TMP/nginx-t.log"
start_nginx() {
	ag_bg nginx nginx -p "$AG_TMP" -c "$AG_TMP/nginx.conf"
	NGINX_PID=$AG_LAST_PID
	ag_wait_port "$AG_PORT" 10
}

# Connections to authgate's socket that are open now (nginx's side and
# authgate's side both count).
upstream_conns() {
	ss -xHn state established 2>/dev/null | grep -c "$sock"
}

# checks VARIANT: everything a client sees.
checks() {
	v=$1
	ag_http POST /oauth/token -d grant_type=password -d username=alice \
	    --data-urlencode "password=open sesame"
	is "$AG_STATUS" 200 "$v: POST /oauth/token: 200"
	token=$(ag_json access_token)
	isnt "$token" "" "$v: token response has an access_token"

	ag_http GET /oauth/protected -H "Authorization: Bearer $token"
	is "$AG_STATUS" 200 "$v: /oauth/protected with token: 200"
	is "$(ag_json sub)" alice "$v:   sub alice"
	ag_http GET /oauth/protected
	is "$AG_STATUS" 401 "$v: /oauth/protected without: 401"
	like "$(ag_header WWW-Authenticate)" '^Bearer realm="authgate"' \
	    "$v:   with WWW-Authenticate: Bearer realm=\"authgate\""

	ag_http GET /private/file.txt -H "Authorization: Bearer $token"
	is "$AG_STATUS" 200 "$v: guarded file with token: 200"
	is "$AG_BODY" "secret file" "$v:   the file"
	is "$(ag_header X-Auth-Request-User)" alice \
	    "$v:   the user is passed on (auth_request_set)"
	is "$(ag_header X-Auth-Request-Scope)" "read write" "$v:   and the scope"
	ag_http GET /private/file.txt
	is "$AG_STATUS" 401 "$v: guarded file without token: 401"
	unlike "$AG_BODY" 'secret file' "$v:   not the file"
	like "$(ag_header WWW-Authenticate)" '^Bearer realm="authgate"' \
	    "$v:   with WWW-Authenticate: Bearer realm=\"authgate\""
	ag_http GET /private/file.txt -H "Authorization: Bearer ${token}x"
	is "$AG_STATUS" 401 "$v: bad signature: 401"
	like "$(ag_header WWW-Authenticate)" 'error="invalid_token"' \
	    "$v:   with error=\"invalid_token\""
	# auth_request turns anything but 2xx/401/403 into a 500.
	ag_http GET /private/file.txt -H "Authorization: Bearer a b"
	is "$AG_STATUS" 401 "$v: malformed credential: 401, not 500"
	# The subrequest is a GET to /auth whatever the client's method.
	ag_http POST /private/file.txt -H "Authorization: Bearer $token" \
	    -d x=y
	like "$AG_STATUS" '^(200|405)$' \
	    "$v: POST to the guarded location passes the check"

	# Requests in a row, alternating outcomes: over a kept connection
	# each answer must still belong to its request.
	bad=0
	for i in 1 2 3 4 5 6; do
		ag_http GET /private/file.txt -H "Authorization: Bearer $token"
		[ "$AG_STATUS" = 200 ] || bad=$((bad + 1))
		ag_http GET /oauth/protected -H "Authorization: Bearer ${token}x"
		[ "$AG_STATUS" = 401 ] || bad=$((bad + 1))
	done
	is "$bad" 0 "$v: 12 requests in a row, all answered right"
}

ok "spawn-fcgi starts authgate as $AG_USER" start_authgate
is "$(stat -c %U "$sock" 2>/dev/null)" www-data "the socket belongs to www-data"

# A second server in the style nginx users write: the auth_request
# location includes fastcgi_params and overrides its SCRIPT_NAME line,
# so nginx sends SCRIPT_NAME twice (the included one, /_check, first).
# authgate takes the last, as PHP-FPM does; with the first it would
# answer 404 and nginx turn every guarded request into a 500.
PORT2=$(ag_free_port)
site2() {
	cat <<EOF
server {
	listen 127.0.0.1:$PORT2;
	root $AG_TMP/htdocs;
	location = /_check {
		internal;
		include $AG_TMP/fastcgi_params;
		fastcgi_param SCRIPT_NAME /oauth/auth;
		fastcgi_pass_request_body off;
		fastcgi_param CONTENT_LENGTH "";
		fastcgi_pass unix:$sock;
	}
	location /private/ {
		auth_request /_check;
	}
}
EOF
}
{ fill; site2; } >"$AG_TMP/site.conf"
ok "nginx -t accepts the shipped server block" nginx_t
ok "nginx starts" start_nginx
checks shipped
c=$(upstream_conns)
is "$c" 0 "shipped: no connection to authgate left open"

# --- a parameter given twice: the last counts -----------------------
ok "the second server has SCRIPT_NAME twice" \
    grep -q '^[[:space:]]*fastcgi_param[[:space:]]*SCRIPT_NAME' \
    "$AG_TMP/fastcgi_params"
ag_http GET "http://127.0.0.1:$PORT2/private/file.txt" \
    -H "Authorization: Bearer $token"
is "$AG_STATUS" 200 "SCRIPT_NAME overridden in the location: token passes"
is "$AG_BODY" "secret file" "  the file"
ag_http GET "http://127.0.0.1:$PORT2/private/file.txt"
is "$AG_STATUS" 401 "  and no token: 401, not 500"

# --- reload with a request in flight --------------------------------
"$AG_PY" - "$AG_PORT" >"$AG_TMP/slow.out" 2>&1 <<'EOF' &
import socket, sys, time
body = b"grant_type=password&username=alice&password=open+sesame"
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
s.sendall(b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
          b"Content-Type: application/x-www-form-urlencoded\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
time.sleep(1.5)
s.sendall(body[10:])
data = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    data += d
print(data.split(b"\r\n", 1)[0].decode())
print("access_token" in data.decode())
EOF
slow=$!
sleep 0.5
nginx -p "$AG_TMP" -c "$AG_TMP/nginx.conf" -s reload 2>/dev/null
wait $slow
like "$(cat "$AG_TMP/slow.out")" '^HTTP/1.1 200' \
    "reload: the request in flight completes"
like "$(cat "$AG_TMP/slow.out")" '^True$' "  with a token"

# --- kept connections (FCGI_KEEP_CONN) ------------------------------
ag_stop "$NGINX_PID"
# The shipped number stays below one process of two threads (deploy.md):
# each kept connection holds a thread of authgate's.
keep_n=$(sed -n 's/^[[:space:]]*#keepalive \([0-9]*\);.*/\1/p' \
    "$top_srcdir/etc/nginx/authgate.conf")
ok "keepalive: the shipped number ($keep_n) leaves a thread free" \
    [ "${keep_n:-99}" -lt 2 ]
fill | sed -e "s/#keepalive $keep_n;/keepalive $keep_n;/" \
    -e 's/#fastcgi_keep_conn on;/fastcgi_keep_conn on;/' >"$AG_TMP/site.conf"
ok "keepalive: the commented lines are there to turn on" \
    grep -q '^[[:space:]]*fastcgi_keep_conn on;' "$AG_TMP/site.conf"
# The auth_request location stays without FCGI_KEEP_CONN: nginx closes
# a subrequest's connection anyway (doc/deploy.md), and with the flag
# authgate would wait for that close on every check.
no_keep_in_auth() {
	! awk '/location = \/_authgate\/auth/,/^\t}/' "$AG_TMP/site.conf" |
	    grep -q '^[[:space:]]*fastcgi_keep_conn'
}
ok "keepalive: the auth_request location does not keep its connection" \
    no_keep_in_auth
ok "nginx starts with keepalive" start_nginx
# A quick probe first: a program that ignores FCGI_KEEP_CONN leaves the
# second request on a kept connection unanswered.
bad=0
for i in 1 2 3 4; do
	ag_http GET /oauth/protected -m 3
	[ "$AG_STATUS" = 401 ] || bad=$((bad + 1))
done
if is "$bad" 0 "keepalive: 4 requests over a kept connection answered"; then
	checks keepalive
	c=$(upstream_conns)
	ok "keepalive: the connection to authgate stays open ($c)" [ "$c" -ge 1 ]
else
	diag "authgate does not serve a second request on a kept connection"
fi

# --- the auth cache: 200s kept 5 s per token -----------------------
# Its lines turned on (and @AUTHCACHE@ filled in): the same checks, then
# the bound written beside it: a revoked token passes for at most 6 s
# (5 s entries, counted by nginx in whole seconds).
ag_stop "$NGINX_PID"
fill | sed -e 's/#authcache# //' -e "s|@AUTHCACHE@|$AG_TMP/run/authcache|" \
    >"$AG_TMP/site.conf"
ok "authcache: the commented lines are there to turn on" \
    grep -q '^[[:space:]]*fastcgi_cache authgate_auth;' "$AG_TMP/site.conf"
ok "nginx -t accepts the auth cache" nginx_t
ok "nginx starts with the auth cache" start_nginx
checks authcache
ag_http POST /oauth/token -d grant_type=password -d username=alice \
    --data-urlencode "password=open sesame"
ctoken=$(ag_json access_token)
ag_http GET /private/file.txt -H "Authorization: Bearer $ctoken"
is "$AG_STATUS" 200 "authcache: a token checked once (and cached)"
ag_http GET /private/file.txt -H "Authorization: Bearer $ctoken"
is "$(ag_header X-Auth-Request-User)" alice \
    "authcache:   a cached answer still names the user"
# The entry renewed once before the revocation: nginx then writes a new
# file for the token, and open_file_cache, which keeps the entries'
# files open, must not go on reading the old one.
entry_inode() {	# the inode of the cache file of $ctoken, or "none"
	_md5=$(printf 'authgate Bearer %s|' "$ctoken" | md5sum | cut -c1-32)
	_sub=$(printf %s "$_md5" | cut -c32)/$(printf %s "$_md5" | cut -c30-31)
	stat -c %i "$AG_TMP/run/authcache/$_sub/$_md5" 2>/dev/null || echo none
}
first_inode=$(entry_inode)
isnt "$first_inode" none "authcache:   the entry is a file named by its key"
sleep 6
ag_http GET /private/file.txt -H "Authorization: Bearer $ctoken"
is "$AG_STATUS" 200 "authcache: 6 s later the token passes again"
second_inode=$(entry_inode)
ok "authcache:   and its entry is a new file ($first_inode, $second_inode)" \
    test "$second_inode" != none -a "$second_inode" != "$first_inode"
ag_http POST /oauth/revoke --data-urlencode "token=$ctoken"
is "$AG_STATUS" 200 "authcache: the token revoked"
revoked_at=$(date +%s.%N)
ag_http GET /oauth/protected -H "Authorization: Bearer $ctoken"
is "$AG_STATUS" 401 "authcache:   /oauth/protected refuses it at once"
ag_http GET /private/file.txt -H "Authorization: Bearer $ctoken"
is "$AG_STATUS" 200 \
    "authcache:   the guarded file still passes it (the cache is in use)"
refused_after() {	# seconds from the revocation to the first refusal
	_n=0
	while [ $_n -lt 100 ]; do
		ag_http GET /private/file.txt -H "Authorization: Bearer $ctoken"
		if [ "$AG_STATUS" = 401 ]; then
			"$AG_PY" -c 'import sys, time
print("%.1f" % (time.time() - float(sys.argv[1])))' "$revoked_at"
			return
		fi
		sleep 0.1
		_n=$((_n + 1))
	done
	echo never
}
delay=$(refused_after)
ok "authcache: refused $delay s after the revocation (at most 6 s)" \
    "$AG_PY" -c 'import sys; sys.exit(not float(sys.argv[1]) <= 6.3)' "$delay"
# A session cookie is a credential too: the cache key holds the Cookie
# header, so the 200 of a cookie never answers a request without one
# (keyed on Authorization alone, both would be "authgate ").
MKSESSION=$top_builddir/tests/mksession
if [ -x "$MKSESSION" ]; then
	sess=$("$MKSESSION" "$AG_CONF" alice 2>"$AG_TMP/mksession.log")
	ag_http GET /private/file.txt -H "Cookie: authgate_session=$sess"
	is "$AG_STATUS" 200 "authcache: a session cookie passes (and is cached)"
	ag_http GET /private/file.txt
	is "$AG_STATUS" 401 \
	    "authcache:   a request without credentials right after: 401"
	ag_http GET /private/file.txt -H "Cookie: authgate_session=${sess}x"
	is "$AG_STATUS" 401 "authcache:   a cookie one byte off: 401"
else
	skip 3 "tests/mksession not built"
fi

# --- SIGTERM --------------------------------------------------------
ag_stop "$NGINX_PID"
pids=$(cat "$pidf" 2>/dev/null)
for p in $pids; do
	kill -TERM "$p" 2>/dev/null
done
_i=0
while [ $_i -lt 50 ]; do
	alive=0
	for p in $pids; do
		kill -0 "$p" 2>/dev/null && alive=$((alive + 1))
	done
	[ $alive -eq 0 ] && break
	sleep 0.1
	_i=$((_i + 1))
done
is "$([ -n "$pids" ] && echo "$alive")" 0 \
    "authgate's processes exit on SIGTERM"
stop_authgate

ag_done
