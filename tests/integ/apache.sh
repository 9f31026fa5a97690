#!/bin/sh
# Integration test: authgate under Apache httpd 2.4 with the shipped
# etc/apache2/authgate.conf (mod_fcgid responder at /oauth/) and
# etc/apache2/authgate-guard.conf (bearer-guarded /private/), the latter
# in both its modes: mod_authnz_fcgi (the default; authgate -s on TCP)
# and FcgidAccessChecker (-D AUTHGATE_GUARD_FCGID).  The shipped files
# are included unchanged; paths and the port come from Define.  Runs as
# root: Apache switches to www-data, which then owns authgate's files.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integ/lib.sh"

MODS=$AG_APACHE_MODS

[ "$(id -u)" -eq 0 ] || skip_all "needs root (Apache switches to www-data)"
ag_require_bins
ag_require_cmd apache2 curl setpriv
[ -f $MODS/mod_fcgid.so ] || skip_all "mod_fcgid not installed"
[ -f $MODS/mod_authnz_fcgi.so ] || skip_all "mod_authnz_fcgi not installed"
id www-data >/dev/null 2>&1 || skip_all "no www-data user"

ag_tmpdir
chmod 755 "$AG_TMP"
ag_bin_public
mkdir -p "$AG_TMP/var" "$AG_TMP/htdocs" "$AG_TMP/private" \
    "$AG_TMP/fcgid" "$AG_TMP/logs"
ag_setup_conf "user_db=$AG_TMP/var/users.db" \
    "state_db=$AG_TMP/var/state.db" "key_file=$AG_TMP/var/signing.key"
chmod 644 "$AG_CONF"
ag_init
ag_user alice "open sesame" "read write"
# mod_fcgid runs authgate as Apache's user.
chown -R www-data:www-data "$AG_TMP/var" "$AG_TMP/fcgid" "$AG_TMP/logs"
chmod 700 "$AG_TMP/var"
ag_check_conf() {
	setpriv --reuid=www-data --regid=www-data --clear-groups \
	    "$AG_BIN" -c "$AG_CONF" -t >"$AG_TMP/t.log" 2>&1
}
ag_add_log "$AG_TMP/t.log"
ok "authgate -t as www-data" ag_check_conf

echo "secret file" >"$AG_TMP/private/file.txt"
ag_whoami_cgi "$AG_TMP/private"

AG_PORT=$(ag_free_port)
agport=$(ag_free_port)
HC=$AG_TMP/httpd.conf
ag_apache_head "$HC" "$AG_PORT" "$AG_TMP/htdocs" authn_core authz_user \
    mime alias env headers cgid fcgid authnz_fcgi
cat >>"$HC" <<EOF
Define TMP $AG_TMP
Define AUTHGATE_BIN $AG_BIN
Define AUTHGATE_CONF $AG_CONF
Define AUTHGATE_GUARD_DIR $AG_TMP/private
Define AUTHGATE_GUARD_ADDR 127.0.0.1:$agport
LogFormat "%u %U" user
CustomLog \${TMP}/logs/access.log user
TypesConfig /etc/mime.types
ScriptSock \${TMP}/logs/cgid.sock
FcgidIPCDir \${TMP}/fcgid
FcgidProcessTableFile \${TMP}/fcgid/shm
Include $top_srcdir/etc/apache2/authgate.conf
Include $top_srcdir/etc/apache2/authgate-guard.conf
# The test's view of the guarded side: a CGI script and a header.
<Directory \${TMP}/private>
	Options +ExecCGI
	AddHandler cgi-script .cgi
</Directory>
<Location /private>
	Header always set X-Remote-User "%{REMOTE_USER}e" env=REMOTE_USER
</Location>
EOF

# mod_authnz_fcgi connects to an authgate already running on TCP; here
# as www-data too (the files are www-data's).
ag_bg authgate-s setpriv --reuid=www-data --regid=www-data --clear-groups \
    "$AG_BIN" -c "$AG_CONF" -s "127.0.0.1:$agport"
ok "authgate -s 127.0.0.1:PORT listens" ag_wait_port "$agport" 10

apache_t() {
	apache2 -f "$HC" -t >"$AG_TMP/apache-t.log" 2>&1
}
ag_add_log "$AG_TMP/apache-t.log"
ok "apache2 -t accepts the shipped configuration" apache_t

# start_apache [-D NAME]: in the foreground, in the background.
start_apache() {
	ag_bg apache2 apache2 -f "$HC" -DFOREGROUND "$@"
	APACHE_PID=$AG_LAST_PID
	ag_wait_port "$AG_PORT" 10
}
ok "apache2 starts" start_apache
AG_URL=http://127.0.0.1:$AG_PORT

# --- the token service through mod_fcgid -------------------------------
ag_http POST /oauth/token -d grant_type=password -d username=alice \
    --data-urlencode "password=open sesame"
is "$AG_STATUS" 200 "POST /oauth/token: 200"
token=$(ag_json access_token)
isnt "$token" "" "token response has an access_token"
like "$(ag_header Cache-Control)" no-store "token response: no-store"

ag_http GET /oauth/protected -H "Authorization: Bearer $token"
is "$AG_STATUS" 200 "GET /oauth/protected with token: 200"
is "$(ag_json sub)" alice \
    "/oauth/protected names alice (CGIPassAuth passes Authorization)"
ag_http GET /oauth/protected
is "$AG_STATUS" 401 "GET /oauth/protected without token: 401"
like "$(ag_header WWW-Authenticate)" '^Bearer realm="authgate"' \
    "  with WWW-Authenticate: Bearer realm=\"authgate\""
ag_http POST /oauth/token -d grant_type=password -d username=alice \
    -d password=wrong
is "$AG_STATUS" 400 "wrong password: 400"
is "$(ag_json error)" invalid_grant "  invalid_grant"

# check_guard MODE: the guarded directory.
check_guard() {
	ag_http GET /private/file.txt -H "Authorization: Bearer $token"
	is "$AG_STATUS" 200 "$1: guarded file served with a valid token"
	is "$AG_BODY" "secret file" "$1:   the file"
	is "$(ag_header X-Remote-User)" alice \
	    "$1:   REMOTE_USER=alice in the guarded location's environment"
	is "$(ag_header Variable-REMOTE_USER)" "" \
	    "$1:   no Variable-* header reaches the client"
	ag_http GET /private/whoami.cgi -H "Authorization: Bearer $token"
	like "$AG_BODY" '^REMOTE_USER=alice$' \
	    "$1: a CGI script there sees REMOTE_USER=alice"
	like "$AG_BODY" '^AUTHGATE_SCOPE=read write$' \
	    "$1:   and AUTHGATE_SCOPE=read write"

	ag_http GET /private/file.txt
	is "$AG_STATUS" 401 "$1: no token: 401"
	like "$(ag_header WWW-Authenticate)" '^Bearer realm="authgate"' \
	    "$1:   with WWW-Authenticate: Bearer realm=\"authgate\""
	unlike "$AG_BODY" 'secret file' "$1:   and not the file"
	ag_http GET /private/file.txt -H "Authorization: Bearer ${token}x"
	is "$AG_STATUS" 401 "$1: bad signature: 401"
	like "$(ag_header WWW-Authenticate)" 'error="invalid_token"' \
	    "$1:   with error=\"invalid_token\""
}

check_guard authnz_fcgi
# mod_authnz_fcgi sets the authenticated user itself (access log %u).
ok "authnz_fcgi: the access log names the user" \
    grep -q '^alice /private/file.txt$' "$AG_TMP/logs/access.log"
ag_http GET /private/file.txt
like "$AG_BODY" '"error"' "authnz_fcgi: the 401 body is authgate's JSON"

# --- graceful restart with a request in flight -------------------------
# A slow client: the token request body trickles in across the restart.
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
apache2 -f "$HC" -k graceful 2>/dev/null
wait $slow
like "$(cat "$AG_TMP/slow.out")" '^HTTP/1.1 200' \
    "graceful restart: the request in flight completes"
like "$(cat "$AG_TMP/slow.out")" '^True$' "  with a token"
ag_wait_port "$AG_PORT" 10
ag_http GET /oauth/protected -H "Authorization: Bearer $token"
is "$AG_STATUS" 200 "serving after the graceful restart"

# --- FcgidAccessChecker mode -----------------------------------------
ag_stop "$APACHE_PID"
ok "apache2 starts with -D AUTHGATE_GUARD_FCGID" start_apache -D AUTHGATE_GUARD_FCGID
check_guard FcgidAccessChecker

ag_done
