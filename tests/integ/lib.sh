# tests/integ/lib.sh: shared harness for the integration tests.
#
# Sourced by every tests/integ/*.sh.  make check sets top_srcdir and
# top_builddir (absolute); run by hand, they default to the tree this file
# is in.  Output is TAP.  Everything is bounded in time: a test never
# hangs on a server that does not come up.
#
#	. "$top_srcdir/tests/integ/lib.sh"
#	ag_require_bins			# "1..0 # SKIP" when not built
#	ag_require_cmd lighttpd
#	ag_tmpdir			# $AG_TMP, removed (servers killed) at exit
#	ag_setup_conf lockout_threshold=3	# $AG_CONF
#	ag_init				# authgatectl init: databases and key
#	ag_user alice alice-pw "read write"
#	ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf"
#	ag_http POST /token -d grant_type=password ...
#	is "$AG_STATUS" 200 "token issued"
#	like "$AG_BODY" '"token_type":"bearer"' "bearer"
#	ag_done
#
# TAP helpers count in a shell variable: call them from the test's own
# shell, not from a subshell or the right side of a pipe.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

# Web servers live in sbin, which a user's PATH may lack.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
export PATH

AG_BIN=$top_builddir/authgate
AG_CTL=$top_builddir/authgatectl
AG_PY=/usr/bin/python3
AG_APACHE_MODS=/usr/lib/apache2/modules	# Debian's apache2
AG_TMP=
AG_CONF=
AG_PORT=
AG_URL=
AG_PIDS=
AG_LOGS=
AG_STATUS=
AG_BODY=
AG_HDRS=
AG_LIGHTTPD_PID=
AG_LIGHTTPD_CONF=
AG_LIGHTTPD_LOG=
_ag_n=0
_ag_fail=0
_ag_planned=0
_ag_logs_shown=0

# ---------------------------------------------------------------- TAP

# ag_plan N
ag_plan()
{
	_ag_planned=$1
	echo "1..$1"
}

# skip_all REASON: the whole script is skipped (only for a missing
# server binary or program).
skip_all()
{
	echo "1..0 # SKIP $*"
	exit 0
}

diag()
{
	printf '%s\n' "$@" | sed 's/^/# /'
}

# _ag_result STATUS DESC: STATUS 0 is a pass.
_ag_result()
{
	_ag_n=$((_ag_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_ag_n - $2"
		return 0
	fi
	_ag_fail=$((_ag_fail + 1))
	echo "not ok $_ag_n - $2"
	return 1
}

# ok DESC COMMAND [ARG...]: passes when COMMAND succeeds.
ok()
{
	_d=$1
	shift
	if "$@"; then
		_ag_result 0 "$_d"
	else
		_ag_result 1 "$_d"
		diag "  command failed: $*"
		ag_show_logs
		return 1
	fi
}

# is GOT EXPECTED DESC
is()
{
	if [ "x$1" = "x$2" ]; then
		_ag_result 0 "$3"
	else
		_ag_result 1 "$3"
		diag "  got:      '$1'" "  expected: '$2'"
		_ag_context
		return 1
	fi
}

# isnt GOT UNEXPECTED DESC
isnt()
{
	if [ "x$1" != "x$2" ]; then
		_ag_result 0 "$3"
	else
		_ag_result 1 "$3"
		diag "  got '$1', which it should not be"
		_ag_context
		return 1
	fi
}

# like GOT ERE DESC (grep -E on the whole text)
like()
{
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		_ag_result 0 "$3"
	else
		_ag_result 1 "$3"
		diag "  got:      '$1'" "  expected to match: $2"
		_ag_context
		return 1
	fi
}

# unlike GOT ERE DESC
unlike()
{
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		_ag_result 1 "$3"
		diag "  got:      '$1'" "  expected not to match: $2"
		_ag_context
		return 1
	fi
	_ag_result 0 "$3"
}

# pass DESC / fail DESC
pass()
{
	_ag_result 0 "$1"
}

fail()
{
	_ag_result 1 "$1"
	_ag_context
	return 1
}

# ag_no_sanitizer_reports: nothing from AddressSanitizer or UBSan, no crash,
# in what lighttpd and authgate logged.
ag_no_sanitizer_reports()
{
	if cat "$AG_TMP"/*.log 2>/dev/null |
	    grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:|Segmentation'
	then
		fail "no sanitizer report in the logs"
		diag "$(cat "$AG_TMP"/*.log |
		    grep -E -A8 'Sanitizer|runtime error:' | head -n 40)"
	else
		pass "no sanitizer report in the logs"
	fi
}

# skip N REASON: N tests skipped.
skip()
{
	_k=$1
	shift
	while [ "$_k" -gt 0 ]; do
		_ag_n=$((_ag_n + 1))
		echo "ok $_ag_n # SKIP $*"
		_k=$((_k - 1))
	done
}

# ag_done: the plan when none was given; exit status 1 on any failure.
ag_done()
{
	if [ "$_ag_planned" -eq 0 ]; then
		echo "1..$_ag_n"
	fi
	[ "$_ag_fail" -eq 0 ] && exit 0
	exit 1
}

# After a failure: the last HTTP exchange and the servers' logs.
_ag_context()
{
	if [ -n "$AG_STATUS" ]; then
		diag "  last HTTP status: $AG_STATUS"
		[ -n "$AG_TMP" ] && [ -f "$AG_TMP/last.headers" ] &&
		    diag "$(sed 's/\r$//; s/^/  < /' "$AG_TMP/last.headers")"
		diag "  body: $(printf '%s' "$AG_BODY" | head -c 2000)"
	fi
	ag_show_logs
}

# ag_show_logs: every server log registered with ag_add_log, once.
ag_show_logs()
{
	[ "$_ag_logs_shown" -eq 0 ] || return 0
	_ag_logs_shown=1
	for _l in $AG_LOGS; do
		[ -s "$_l" ] || continue
		diag "---- $_l (last 40 lines)"
		diag "$(tail -n 40 "$_l")"
	done
}

ag_add_log()
{
	AG_LOGS="$AG_LOGS $1"
}

# ---------------------------------------------------------------- setup

# ag_require_bins: skip the script when authgate or authgatectl is not
# built (or is still a placeholder that does nothing), or when
# /usr/bin/python3, which the helpers use, is missing.
ag_require_bins()
{
	[ -x "$AG_BIN" ] || skip_all "authgate not built"
	[ -x "$AG_CTL" ] || skip_all "authgatectl not built"
	# The helpers below (free ports, JSON) run Debian's python3.
	[ -x "$AG_PY" ] ||
	    skip_all "$AG_PY not installed (apt-get install python3)"
}

# ag_require_cmd PROGRAM...: skip the script when one is missing.
ag_require_cmd()
{
	for _c in "$@"; do
		command -v "$_c" >/dev/null 2>&1 || [ -x "$_c" ] ||
		    skip_all "$_c not installed"
	done
}

# ag_require_py MODULE...: skip when /usr/bin/python3 lacks a module.
ag_require_py()
{
	[ -x "$AG_PY" ] || skip_all "$AG_PY not installed"
	for _m in "$@"; do
		"$AG_PY" -c "import $_m" 2>/dev/null ||
		    skip_all "python module $_m not installed"
	done
}

# ag_bin_public: for tests where another user (www-data, nobody) runs
# authgate: use a copy in AG_TMP (made mode 755 by the caller), since the
# build tree may sit below a directory only root can enter, such as /root.
ag_bin_public()
{
	if ! mkdir -p "$AG_TMP/bin" ||
	    ! cp "$AG_BIN" "$AG_TMP/bin/authgate" ||
	    ! chmod 755 "$AG_TMP/bin" "$AG_TMP/bin/authgate"; then
		echo "Bail out! cannot copy authgate into $AG_TMP/bin"
		exit 1
	fi
	AG_BIN=$AG_TMP/bin/authgate
}

# ag_tmpdir: $AG_TMP, a fresh directory; at exit every server started is
# stopped and the directory removed (kept when AG_KEEP is set).
ag_tmpdir()
{
	AG_TMP=$(mktemp -d /tmp/authgate-integ.XXXXXX) || {
		echo "Bail out! mktemp failed"
		exit 1
	}
	chmod 700 "$AG_TMP"
	trap '_ag_cleanup' EXIT
	trap '_ag_cleanup; exit 1' INT TERM HUP PIPE
}

_ag_cleanup()
{
	_rc=$?
	trap - EXIT INT TERM HUP
	# The reader of our output may be gone (| head): carry on regardless.
	trap '' PIPE
	ag_stop_all
	if [ -n "$AG_TMP" ] && [ -d "$AG_TMP" ]; then
		if [ -n "${AG_KEEP:-}" ]; then
			echo "# kept $AG_TMP" >&2
		else
			rm -rf "$AG_TMP"
		fi
	fi
	exit $_rc
}

# ag_free_port: prints a TCP port on 127.0.0.1 that nobody listens on.
ag_free_port()
{
	"$AG_PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# ag_wait_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT.
ag_wait_port()
{
	"$AG_PY" - "$1" "${2:-10}" <<'EOF'
import socket, sys, time
port, limit = int(sys.argv[1]), float(sys.argv[2])
end = time.time() + limit
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

# ag_setup_conf [KEY=VALUE...]: $AG_CONF, an authgate.conf in $AG_TMP
# made from etc/authgate.conf as shipped, with the files in $AG_TMP, a
# low password hash cost, and the given settings.
ag_setup_conf()
{
	AG_CONF=$AG_TMP/authgate.conf
	_set="user_db=$AG_TMP/users.db
state_db=$AG_TMP/state.db
key_file=$AG_TMP/signing.key
password_hash=scrypt:ln=4,r=8,p=1"
	for _kv in "$@"; do
		_set="$_set
$_kv"
	done
	# Drop the shipped lines for the keys set here, keep the rest.
	_keys=$(printf '%s\n' "$_set" | sed 's/[ 	]*=.*//' | sort -u |
	    tr '\n' '|' | sed 's/|$//')
	if [ -f "$top_srcdir/etc/authgate.conf" ]; then
		grep -Ev "^[ 	]*($_keys)[ 	]*=" \
		    "$top_srcdir/etc/authgate.conf" >"$AG_CONF"
	else
		: >"$AG_CONF"
	fi
	printf '\n# integration test settings\n' >>"$AG_CONF"
	# Later settings of a key given twice win: keep only the last.
	printf '%s\n' "$_set" | awk -F= '
	    { k = $1; sub(/[ \t]+$/, "", k); s = $0
	      sub(/^[^=]*=[ \t]*/, "", s); v[k] = s; o[n++] = k }
	    END { for (i = 0; i < n; i++) if (!(o[i] in seen)) {
		seen[o[i]] = 1; print o[i] " = " v[o[i]] } }' >>"$AG_CONF"
	export AUTHGATE_CONF="$AG_CONF"
}

# ag_ctl ARG...: authgatectl -c $AG_CONF ARG...
ag_ctl()
{
	"$AG_CTL" -c "$AG_CONF" "$@"
}

# ag_init: databases and signing key for $AG_CONF; bails out on failure.
ag_init()
{
	if ! ag_ctl init >"$AG_TMP/init.log" 2>&1; then
		echo "Bail out! authgatectl init failed: $(cat "$AG_TMP/init.log")"
		exit 1
	fi
}

# ag_user NAME PASSWORD [SCOPE]: adds a user; bails out on failure.
ag_user()
{
	if ! printf '%s\n' "$2" | ag_ctl user add "$1" --scope "${3:-}" \
	    --password-stdin >"$AG_TMP/user.log" 2>&1; then
		echo "Bail out! authgatectl user add $1 failed: $(cat "$AG_TMP/user.log")"
		exit 1
	fi
}

# ---------------------------------------------------------------- servers

# ag_bg NAME COMMAND [ARG...]: starts COMMAND in the background in a
# process group of its own (so that its children go with it), output to
# $AG_TMP/NAME.log; its pid is in $AG_LAST_PID.
ag_bg()
{
	_name=$1
	shift
	setsid "$@" >>"$AG_TMP/$_name.log" 2>&1 </dev/null &
	AG_LAST_PID=$!
	AG_PIDS="$AG_PIDS $AG_LAST_PID"
	ag_add_log "$AG_TMP/$_name.log"
}

# ag_stop PID [SIGNAL]: signals PID's process group (TERM by default),
# waits up to 10 s, then kills it.
ag_stop()
{
	_pid=$1
	kill -"${2:-TERM}" -- "-$_pid" 2>/dev/null ||
	    kill -"${2:-TERM}" "$_pid" 2>/dev/null
	_i=0
	while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if kill -0 "$_pid" 2>/dev/null; then
		diag "pid $_pid did not stop in 10 s: killed"
		kill -KILL -- "-$_pid" 2>/dev/null || kill -KILL "$_pid"
	fi
	# Children that outlived their leader (same process group).
	kill -KILL -- "-$_pid" 2>/dev/null
	wait "$_pid" 2>/dev/null
	AG_PIDS=$(printf '%s\n' $AG_PIDS | grep -vx "$_pid" | tr '\n' ' ')
	return 0
}

ag_stop_all()
{
	for _p in $AG_PIDS; do
		ag_stop "$_p"
	done
	AG_PIDS=
}

# ag_lighttpd_conf TEMPLATE [LINE...]: writes a lighttpd configuration in
# $AG_TMP that defines the variables the shipped files use, the port and
# the logs, then includes TEMPLATE unchanged.  LINE... are added before
# the include (e.g. 'var.authgate_procs := 4', := as the defaults are
# set first); $AG_LIGHTTPD_AFTER (lines)
# goes after it.  Sets AG_LIGHTTPD_CONF.
#
# Variables (see etc/lighttpd/authgate.conf):
#	var.authgate_bin	authgate binary
#	var.authgate_conf	authgate.conf (AUTHGATE_CONF)
#	var.authgate_socket	socket prefix for the spawned processes
#	var.authgate_procs	processes lighttpd spawns (max-procs)
#	var.docroot		document root (authorizer: /private/ in it)
ag_lighttpd_conf()
{
	_tmpl=$1
	shift
	[ -n "$AG_PORT" ] || AG_PORT=$(ag_free_port)
	_lc=$AG_TMP/lighttpd.conf
	AG_LIGHTTPD_CONF=$_lc
	mkdir -p "$AG_TMP/www"
	{
		echo "# written by tests/integ/lib.sh"
		echo "var.authgate_bin = \"$AG_BIN\""
		echo "var.authgate_conf = \"$AG_CONF\""
		echo "var.authgate_socket = \"$AG_TMP/authgate.sock\""
		echo "var.docroot = \"$AG_TMP/www\""
		echo "var.authgate_procs = 2"
		for _line in "$@"; do
			echo "$_line"
		done
		echo "server.bind = \"127.0.0.1\""
		echo "server.port = $AG_PORT"
		echo "server.document-root = var.docroot"
		echo "server.errorlog = \"$AG_TMP/lighttpd-error.log\""
		echo "server.breakagelog = \"$AG_TMP/lighttpd-error.log\""
		echo "server.pid-file = \"$AG_TMP/lighttpd.pid\""
		echo "server.tag = \"lighttpd\""
		echo "include \"$_tmpl\""
		[ -z "${AG_LIGHTTPD_AFTER:-}" ] ||
		    printf '%s\n' "$AG_LIGHTTPD_AFTER"
	} >"$_lc"
}

# AG_LIGHTTPD_CGI: lines for AG_LIGHTTPD_AFTER that load mod_cgi after
# the shipped file (after an authorizer, so that a script behind it runs
# once authgate said yes) and run *.cgi with /bin/sh.
AG_LIGHTTPD_CGI='server.modules += ( "mod_cgi" )
cgi.assign = ( ".cgi" => "/bin/sh" )'

# ag_whoami_cgi DIR: DIR/whoami.cgi, a CGI script for the guarded side
# that prints what the guard passed on, a NAME=VALUE line each (empty
# when unset): REMOTE_USER, AUTH_TYPE, AUTHGATE_SCOPE.
ag_whoami_cgi()
{
	cat >"$1/whoami.cgi" <<'CGI'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
printf 'REMOTE_USER=%s\n' "${REMOTE_USER:-}"
printf 'AUTH_TYPE=%s\n' "${AUTH_TYPE:-}"
printf 'AUTHGATE_SCOPE=%s\n' "${AUTHGATE_SCOPE:-}"
CGI
	chmod 755 "$1/whoami.cgi"
}

# ag_start_lighttpd TEMPLATE [LINE...]: lighttpd in the foreground on
# 127.0.0.1:$AG_PORT (a free port unless set) with ag_lighttpd_conf;
# waits (10 s at most) until the port answers.  Sets $AG_URL,
# $AG_LIGHTTPD_PID.  Bails out when it does not come up.  Runs as the
# invoking user: no server.username, so authgate can read the key that
# the tests made.
ag_start_lighttpd()
{
	ag_require_cmd lighttpd
	ag_lighttpd_conf "$@"
	AG_LIGHTTPD_LOG=$AG_TMP/lighttpd-error.log
	ag_add_log "$AG_LIGHTTPD_LOG"
	if ! lighttpd -tt -f "$AG_LIGHTTPD_CONF" >"$AG_TMP/lighttpd-t.log" 2>&1
	then
		echo "Bail out! lighttpd -tt rejects the configuration"
		diag "$(cat "$AG_TMP/lighttpd-t.log")"
		diag "$(cat "$AG_LIGHTTPD_CONF")"
		exit 1
	fi
	ag_bg lighttpd lighttpd -D -f "$AG_LIGHTTPD_CONF"
	AG_LIGHTTPD_PID=$AG_LAST_PID
	AG_URL=http://127.0.0.1:$AG_PORT
	if ! ag_wait_port "$AG_PORT" 10; then
		echo "Bail out! lighttpd did not answer on port $AG_PORT"
		ag_show_logs
		exit 1
	fi
}

# ag_apache_head FILE PORT DOCROOT [MODULE...]: starts FILE, an Apache
# httpd.conf, with the head every test's server has: ServerRoot $AG_TMP,
# mod_mpm_event, mod_authz_core and the MODULEs, User and Group
# www-data, Listen 127.0.0.1:PORT, DocumentRoot DOCROOT, the pid file,
# error log and mutexes in $AG_TMP/logs (made; the error log is shown
# when a check fails).  The test appends its Defines, the Include of the
# etc/apache2 file under test and its own lines (cat >>FILE).  A MODULE
# is NAME for mod_NAME.so in $AG_APACHE_MODS (authn_core, proxy_fcgi)
# or NAME=PATH for one built here (authgate=$AG_TMP/mod_authgate.so).
ag_apache_head()
{
	_ah_file=$1
	_ah_port=$2
	_ah_docroot=$3
	shift 3
	mkdir -p "$AG_TMP/logs"
	{
		echo "# written by tests/integ/lib.sh"
		echo "ServerName 127.0.0.1"
		echo "ServerRoot $AG_TMP"
		for _ah_mod in mpm_event authz_core "$@"; do
			case $_ah_mod in
			*=*)	echo "LoadModule ${_ah_mod%%=*}_module ${_ah_mod#*=}" ;;
			*)	echo "LoadModule ${_ah_mod}_module" \
				    "$AG_APACHE_MODS/mod_$_ah_mod.so" ;;
			esac
		done
		echo "User www-data"
		echo "Group www-data"
		echo "Listen 127.0.0.1:$_ah_port"
		echo "PidFile $AG_TMP/logs/httpd.pid"
		echo "ErrorLog $AG_TMP/logs/error.log"
		echo "LogLevel warn"
		echo "DocumentRoot $_ah_docroot"
		echo "Mutex file:$AG_TMP/logs"
	} >"$_ah_file"
	ag_add_log "$AG_TMP/logs/error.log"
}

# ag_nginx_conf FILE LINE...: writes FILE, an nginx.conf with the head
# every test's nginx has: workers as www-data, in the foreground, one
# worker, the pid file and temporary files in $AG_TMP/run, the error log
# (level info) in $AG_TMP/logs (both made; the log is shown when a check
# fails), no access log; the LINEs go inside its http block (the
# include of the site under test, from etc/nginx).  Run it with
# nginx -p "$AG_TMP" -c FILE.
ag_nginx_conf()
{
	_nc_file=$1
	shift
	mkdir -p "$AG_TMP/run" "$AG_TMP/logs"
	{
		echo "# written by tests/integ/lib.sh"
		echo "user www-data www-data;"
		echo "daemon off;"
		echo "worker_processes 1;"
		echo "pid $AG_TMP/run/nginx.pid;"
		echo "error_log $AG_TMP/logs/nginx-error.log info;"
		echo "events { worker_connections 64; }"
		echo "http {"
		echo "	access_log off;"
		echo "	client_body_temp_path $AG_TMP/run/body;"
		echo "	fastcgi_temp_path $AG_TMP/run/fastcgi;"
		echo "	proxy_temp_path $AG_TMP/run/proxy;"
		echo "	uwsgi_temp_path $AG_TMP/run/uwsgi;"
		echo "	scgi_temp_path $AG_TMP/run/scgi;"
		printf '\t%s\n' "$@"
		echo "}"
	} >"$_nc_file"
	ag_add_log "$AG_TMP/logs/nginx-error.log"
}

# ---------------------------------------------------------------- HTTP

# ag_http METHOD PATH|URL [CURL-ARG...]: one request (10 s at most).
# Sets AG_STATUS (000 when no answer), AG_BODY, AG_HDRS (the response
# headers, CR removed); files $AG_TMP/last.headers and last.body.
ag_http()
{
	_m=$1
	_u=$2
	shift 2
	case $_u in
	http://* | https://*) ;;
	*) _u=$AG_URL$_u ;;
	esac
	: >"$AG_TMP/last.headers"
	: >"$AG_TMP/last.body"
	AG_STATUS=$(curl -s -m 10 -X "$_m" -o "$AG_TMP/last.body" \
	    -D "$AG_TMP/last.headers" -w '%{http_code}' "$@" "$_u")
	[ -n "$AG_STATUS" ] || AG_STATUS=000
	AG_BODY=$(cat "$AG_TMP/last.body")
	AG_HDRS=$(tr -d '\r' <"$AG_TMP/last.headers")
}

# ag_header NAME: the value of header NAME of the last response (first
# one; case-insensitive name).
ag_header()
{
	printf '%s\n' "$AG_HDRS" | awk -v n="$1" '
	    BEGIN { n = tolower(n) }
	    { i = index($0, ":"); if (i == 0) next
	      if (tolower(substr($0, 1, i - 1)) == n) {
		v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v; exit } }'
}

# ag_json FIELD: a top-level string or number field of the last body.
ag_json()
{
	printf '%s' "$AG_BODY" | "$AG_PY" -c 'import json, sys
try:
    v = json.load(sys.stdin).get(sys.argv[1], "")
except Exception:
    v = ""
print(v if not isinstance(v, bool) else str(v).lower())' "$1"
}

# ag_is_json: the last body parses as a JSON object.
ag_is_json()
{
	printf '%s' "$AG_BODY" | "$AG_PY" -c 'import json, sys
sys.exit(0 if isinstance(json.load(sys.stdin), dict) else 1)' 2>/dev/null
}

# ag_cgi METHOD PATH_INFO BODY AUTHORIZATION CONTENT_TYPE CMD...: CMD
# (authgate, or a wrapper around it) once as a CGI of
# /cgi-bin/authgate, BODY on its input; AUTHORIZATION may be empty,
# CONTENT_TYPE defaults to a form.  Output in $AG_TMP/cgi.out, errors in
# cgi.err; sets AG_CGI_RC, AG_HDRS, AG_BODY and AG_STATUS (200 without a
# Status header).
ag_cgi()
{
	_cm=$1 _cp=$2 _cb=$3 _ca=$4 _ct=${5:-application/x-www-form-urlencoded}
	shift 5
	printf '%s' "$_cb" >"$AG_TMP/cgi.in"
	env -i PATH=/usr/bin:/bin AUTHGATE_CONF="$AG_CONF" \
	    GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
	    SERVER_NAME=127.0.0.1 SERVER_PORT=80 REMOTE_ADDR=127.0.0.1 \
	    REQUEST_METHOD="$_cm" SCRIPT_NAME=/cgi-bin/authgate \
	    PATH_INFO="$_cp" REQUEST_URI="/cgi-bin/authgate$_cp" \
	    QUERY_STRING= CONTENT_LENGTH="$(printf '%s' "$_cb" | wc -c)" \
	    CONTENT_TYPE="$_ct" ${_ca:+HTTP_AUTHORIZATION="$_ca"} \
	    "$@" <"$AG_TMP/cgi.in" >"$AG_TMP/cgi.out" 2>"$AG_TMP/cgi.err"
	AG_CGI_RC=$?
	# The CGI header block, then the body.
	AG_HDRS=$(sed '/^\r\{0,1\}$/q' "$AG_TMP/cgi.out" | tr -d '\r')
	AG_BODY=$(sed '1,/^\r\{0,1\}$/d' "$AG_TMP/cgi.out")
	AG_STATUS=$(ag_header Status | cut -c1-3)
	[ -n "$AG_STATUS" ] || AG_STATUS=200
}

# ag_token USER PASSWORD [CURL-ARG...]: prints an access token from
# $AG_URL/token (empty on failure).
ag_token()
{
	_tu=$1
	_tp=$2
	shift 2
	ag_http POST /token --data-urlencode grant_type=password \
	    --data-urlencode "username=$_tu" --data-urlencode "password=$_tp" \
	    "$@"
	ag_json access_token
}
