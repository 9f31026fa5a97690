#!/bin/sh
# Integration test: the systemd units in etc/systemd/.
#  - systemd-analyze verify (and security) of the shipped units, with
#    only ExecStart pointed at the built program;
#  - authgate started exactly as authgate.socket + StandardInput=socket
#    start it: the bound, listening unix socket on fd 0 (and on fd 3
#    with LISTEN_FDS=1, as systemd passes it too), stdout not the
#    socket, running as an unprivileged user; FastCGI spoken to it with
#    cgi-fcgi (package libfcgi-bin); SIGTERM ends it with status 0;
#  - the socket on fd 3 only (systemd-socket-activate), when authgate
#    reads LISTEN_FDS.
# No running systemd is needed.  Runs as root.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integ/lib.sh"

UNITS=$top_srcdir/etc/systemd
AG_USER=nobody
AG_GROUP=nogroup

[ "$(id -u)" -eq 0 ] || skip_all "needs root (drops to $AG_USER)"
ag_require_bins
id "$AG_USER" >/dev/null 2>&1 || skip_all "no $AG_USER user"

ag_tmpdir
chmod 755 "$AG_TMP"
ag_bin_public
tmp=$AG_TMP

# --- the unit files ---------------------------------------------------
unit_has() {	# unit_has FILE LINE...
	_f=$1
	shift
	for _l in "$@"; do
		grep -qx -- "$_l" "$UNITS/$_f" || return 1
	done
}
ok "authgate.socket: ListenStream=/run/authgate/authgate.sock, Accept=no" \
    unit_has authgate.socket ListenStream=/run/authgate/authgate.sock \
    Accept=no
ok "authgate.service: StandardInput=socket, output not on it, User=_authgate" \
    unit_has authgate.service StandardInput=socket StandardOutput=journal \
    User=_authgate
ok "authgate-guard.service: keeps authgate -s 127.0.0.1:9010 running as _authgate" \
    unit_has authgate-guard.service \
    'ExecStart=/usr/bin/authgate -s 127.0.0.1:9010' Restart=always \
    User=_authgate

if command -v systemd-analyze >/dev/null; then
	mkdir "$tmp/units"
	cp "$UNITS/authgate.socket" "$tmp/units/"
	sed "s|^ExecStart=.*|ExecStart=$AG_BIN|" "$UNITS/authgate.service" \
	    >"$tmp/units/authgate.service"
	sed "s|^ExecStart=[^ ]*|ExecStart=$AG_BIN|" \
	    "$UNITS/authgate-guard.service" >"$tmp/units/authgate-guard.service"
	verify() {
		(cd "$tmp/units" && systemd-analyze verify --man=no \
		    ./authgate.socket ./authgate.service \
		    ./authgate-guard.service) >"$tmp/verify.log" 2>&1
	}
	ag_add_log "$tmp/verify.log"
	ok "systemd-analyze verify of the shipped units" verify
	lvl=$(cd "$tmp/units" && systemd-analyze security --offline=yes \
	    ./authgate.service 2>/dev/null | sed -n \
	    's/.*Overall exposure level for authgate.service: \([0-9.]*\).*/\1/p')
	if [ -n "$lvl" ]; then
		ok "systemd-analyze security: exposure $lvl < 2.0" \
		    awk -v l="$lvl" 'BEGIN { exit !(l < 2.0) }'
	else
		skip 1 "systemd-analyze security --offline not supported"
	fi
else
	skip 2 "systemd-analyze missing (package systemd)"
fi

# --- authgate's files -------------------------------------------------
mkdir -p "$tmp/var" "$tmp/run"
ag_setup_conf "user_db=$tmp/var/users.db" \
    "state_db=$tmp/var/state.db" "key_file=$tmp/var/signing.key"
chmod 644 "$AG_CONF"
ag_init
ag_user alice "open sesame" "read write"
chown -R "$AG_USER:$AG_GROUP" "$tmp/var" "$tmp/run"
chmod 700 "$tmp/var"
unset AUTHGATE_CONF

if ! command -v cgi-fcgi >/dev/null; then
	diag "cgi-fcgi missing (package libfcgi-bin): no FastCGI checks"
	ag_done
fi

sock=$tmp/run/authgate.sock

# activate MODE: start authgate on $sock as systemd would, in the
# background; $ag_pid is authgate's pid (python execs it).
#   stdin: StandardInput=socket (fd 0, plus fd 3 and LISTEN_FDS=1)
#   fd3:   the socket on fd 3 only, LISTEN_FDS=1 (Accept=no default)
activate() {
	rm -f "$sock"
	AUTHGATE_CONF=$AG_CONF /usr/bin/python3 - "$1" "$sock" \
	    "$AG_USER" "$AG_BIN" >"$tmp/out.log" 2>"$tmp/err.log" <<'EOF' &
import grp, os, pwd, socket, sys
mode, path, user, prog = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(64)
pw = pwd.getpwnam(user)
os.chown(path, pw.pw_uid, pw.pw_gid)
fd = s.detach()
os.dup2(fd, 3)
if mode == "stdin":
    os.dup2(fd, 0)
else:
    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
if fd not in (0, 3):
    os.close(fd)
os.set_inheritable(0, True)
os.set_inheritable(3, True)
os.setgroups([])
os.setgid(pw.pw_gid)
os.setuid(pw.pw_uid)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(prog, [prog])
EOF
	ag_pid=$!
	AG_PIDS="$AG_PIDS $ag_pid"
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# fcgi METHOD URI [AUTHORIZATION] [BODY]: one FastCGI request through
# cgi-fcgi; the response (CGI form) goes to $tmp/r, the status is printed.
fcgi() {
	body=${4:-}
	printf '%s' "$body" | env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 \
	    SERVER_PROTOCOL=HTTP/1.1 SERVER_NAME=localhost SERVER_PORT=80 \
	    REMOTE_ADDR=127.0.0.1 REQUEST_METHOD="$1" REQUEST_URI="$2" \
	    SCRIPT_NAME="$2" QUERY_STRING= \
	    CONTENT_TYPE=application/x-www-form-urlencoded \
	    CONTENT_LENGTH=${#body} \
	    ${3:+HTTP_AUTHORIZATION="$3"} \
	    cgi-fcgi -bind -connect "$sock" >"$tmp/r" 2>/dev/null
	st=$(sed -n 's/^Status: *\([0-9]*\).*/\1/p;/^\r*$/q' "$tmp/r" | head -n 1)
	echo "${st:-200}"
}

# checks MODE: token, /protected, /auth over the activated socket.
checks() {
	v=$1
	st=$(fcgi POST /token "" \
	    'grant_type=password&username=alice&password=open+sesame')
	is "$st" 200 "$v: POST /token: 200"
	token=$(sed '1,/^\r*$/d' "$tmp/r" | "$AG_PY" -c \
	    'import json, sys; print(json.load(sys.stdin)["access_token"])' \
	    2>/dev/null)
	isnt "$token" "" "$v:   an access token"
	st=$(fcgi GET /protected "Bearer $token")
	is "$st" 200 "$v: GET /protected with the token: 200"
	like "$(cat "$tmp/r")" '"sub":"alice"' "$v:   sub alice"
	st=$(fcgi GET /protected)
	is "$st" 401 "$v: GET /protected without: 401"
	like "$(tr -d '\r' <"$tmp/r")" '^WWW-Authenticate: Bearer realm="authgate"' \
	    "$v:   with WWW-Authenticate"
	st=$(fcgi GET /auth "Bearer $token")
	is "$st" 200 "$v: GET /auth with the token: 200"
	like "$(tr -d '\r' <"$tmp/r")" '^X-Auth-Request-User: alice$' \
	    "$v:   X-Auth-Request-User: alice"
	st=$(fcgi GET /auth "Bearer ${token}x")
	is "$st" 401 "$v: GET /auth, bad signature: 401"
}

# stop MODE: SIGTERM, then authgate's exit status must be 0.
stop() {
	kill -TERM "$ag_pid" 2>/dev/null
	wait "$ag_pid"
	r=$?
	AG_PIDS=$(printf '%s\n' $AG_PIDS | grep -vx "$ag_pid" | tr '\n' ' ')
	ag_pid=
	is "$r" 0 "$1: SIGTERM: authgate exits 0"
}

running() {
	[ -S "$sock" ] && kill -0 "$ag_pid" 2>/dev/null
}
ag_add_log "$tmp/err.log"

activate stdin
ok "StandardInput=socket: authgate runs on the inherited socket" running
checks StandardInput=socket
is "$(cat "$tmp/out.log")" "" \
    "StandardInput=socket: nothing written to standard output"
stop StandardInput=socket

# The socket on fd 3 only, LISTEN_FDS=1: what systemd-socket-activate
# and a unit without StandardInput=socket give.
if grep -q LISTEN_FDS "$AG_BIN"; then
	activate fd3
	ok "LISTEN_FDS: authgate runs on fd 3" running
	checks LISTEN_FDS
	stop LISTEN_FDS
	if command -v systemd-socket-activate >/dev/null; then
		rm -f "$sock"
		# systemd-socket-activate passes on only the environment
		# named with -E, as a unit's Environment= would.
		setpriv --reuid="$AG_USER" --regid="$AG_GROUP" --clear-groups \
		    systemd-socket-activate -l "$sock" \
		    -E AUTHGATE_CONF="$AG_CONF" -- "$AG_BIN" \
		    >"$tmp/out.log" 2>"$tmp/err.log" &
		ag_pid=$!
		AG_PIDS="$AG_PIDS $ag_pid"
		i=0
		while [ ! -S "$sock" ] && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		st=$(fcgi GET /protected)
		is "$st" 401 "systemd-socket-activate: /protected answers"
		stop systemd-socket-activate
	else
		skip 2 "systemd-socket-activate missing (package systemd)"
	fi
else
	skip 1 "authgate does not read LISTEN_FDS (fd 0 only)"
fi

ag_done
