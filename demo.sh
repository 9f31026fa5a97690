#!/bin/sh
# demo.sh: build authgate and start it under lighttpd on 127.0.0.1:8080
# with the shipped etc/lighttpd/authgate.conf and a demo user; print curl
# lines to try.  For a fresh Debian 12 machine: as root, missing packages
# are installed first.
#
#	./demo.sh		build, start (again), print how to use it
#	./demo.sh stop		stop lighttpd and authgate
#
# Everything lives under build/demo/ (the build) and build/demo/run/
# (configuration, key, databases, logs).  DEMO_PORT overrides 8080.
set -eu

top=$(cd "$(dirname "$0")" && pwd)
build=$top/build/demo
run=$build/run
port=${DEMO_PORT:-8080}
url=http://127.0.0.1:$port
pkgs="build-essential autoconf automake pkg-config libfcgi-dev libssl-dev
libjson-c-dev libgdbm-dev libcrypt-dev lighttpd curl"

die()
{
	echo "demo.sh: $*" >&2
	exit 1
}

stop()
{
	if [ -f "$run/lighttpd.pid" ]; then
		pid=$(cat "$run/lighttpd.pid")
		# lighttpd stops the authgate processes it spawned.
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid"
			i=0
			while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
				sleep 0.1
				i=$((i + 1))
			done
			kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
			echo "demo.sh: stopped lighttpd (pid $pid)"
		fi
		rm -f "$run/lighttpd.pid"
	fi
}

case ${1:-start} in
stop)
	stop
	exit 0
	;;
start)
	;;
*)
	echo "usage: $0 [stop]" >&2
	exit 2
	;;
esac

# -- packages
missing=
for p in $pkgs; do
	dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		die "missing packages; as root: apt-get install$missing"
	fi
	echo "demo.sh: installing$missing"
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
fi

# -- build
cd "$top"
[ -x configure ] || autoreconf -fi
mkdir -p "$build"
cd "$build"
echo "demo.sh: building in $build (log: $build/build.log)"
{ [ -f Makefile ] || "$top/configure"; } >"$build/build.log" 2>&1 ||
    { tail -n 20 "$build/build.log" >&2; die "configure failed"; }
make -j"$(nproc 2>/dev/null || echo 2)" authgate authgatectl \
    >>"$build/build.log" 2>&1 ||
    { tail -n 20 "$build/build.log" >&2; die "build failed"; }

# -- configuration, key, user
stop
umask 077
mkdir -p "$run"
conf=$run/authgate.conf
cat >"$conf" <<EOF
# authgate demo configuration (made by demo.sh); see authgate.conf(5).
user_db = $run/users.db
state_db = $run/state.db
key_file = $run/signing.key
# The sign-in page is at /login here (authgate is mounted at /), and a
# sign-in without rd comes back to it, signed in.
login_url = /login
login_redirect = /login
EOF
ctl()
{
	"$build/authgatectl" -c "$conf" "$@"
}
ctl init >/dev/null || die "authgatectl init failed"
ctl user del demo >/dev/null 2>&1 || :
printf 'demo-password\n' | ctl user add demo --scope "read write" \
    --password-stdin >/dev/null || die "authgatectl user add demo failed"
"$build/authgate" -c "$conf" -t >/dev/null || die "authgate -t failed"

# -- lighttpd, with the shipped configuration included unchanged
mkdir -p "$run/www"
cat >"$run/lighttpd.conf" <<EOF
# lighttpd for the authgate demo (made by demo.sh).
var.authgate_bin = "$build/authgate"
var.authgate_conf = "$conf"
var.authgate_socket = "$run/authgate.sock"
var.authgate_procs = 2
server.bind = "127.0.0.1"
server.port = $port
server.document-root = "$run/www"
server.errorlog = "$run/lighttpd-error.log"
server.pid-file = "$run/lighttpd.pid"
include "$top/etc/lighttpd/authgate.conf"
EOF
lighttpd -tt -f "$run/lighttpd.conf" || die "lighttpd rejects $run/lighttpd.conf"
lighttpd -f "$run/lighttpd.conf" ||
    die "lighttpd did not start (port $port in use?); see $run/lighttpd-error.log"

# -- check that it answers
i=0
token=
while [ $i -lt 50 ]; do
	token=$(curl -s -m 5 -d grant_type=password -d username=demo \
	    -d password=demo-password "$url/token" 2>/dev/null |
	    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p') || :
	[ -n "$token" ] && break
	sleep 0.2
	i=$((i + 1))
done
[ -n "$token" ] || die "no token from $url/token; see $run/lighttpd-error.log"
curl -s -m 5 -H "Authorization: Bearer $token" "$url/protected" |
    grep -q '"sub":"demo"' || die "$url/protected did not accept the token"

cat <<EOF

authgate is running behind lighttpd on $url (user demo, password
demo-password, scopes "read write").  Try:

  curl -s -d grant_type=password -d username=demo -d password=demo-password $url/token

  TOKEN=\$(curl -s -d grant_type=password -d username=demo -d password=demo-password $url/token | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  curl -s -H "Authorization: Bearer \$TOKEN" $url/protected
  curl -s -i $url/protected

In a browser: $url/login signs in as demo (a session cookie) and out.

Files: $run (configuration, key, databases, lighttpd-error.log)
Add a user: $build/authgatectl -c $conf user add alice --scope read
Stop:  $0 stop
EOF
