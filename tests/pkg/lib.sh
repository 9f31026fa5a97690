# tests/pkg/lib.sh: clean Debian 12 chroots for the package tests.
#
# pk_chroot makes $R, a fresh `debootstrap --variant=minbase bookworm`
# (from a cached tarball in $PKG_CACHE after the first time), mounts
# only /proc and a devpts instance of its own in it (the devices are
# debootstrap's own nodes, nothing of the host is bind-mounted), forbids packages to start services
# (policy-rc.d), and at exit kills what runs in it, unmounts and removes
# it.  Servers in it share the host's network: they listen on 127.0.0.1
# with 18xxx ports only.  The mirror is the first of the host's apt
# sources (or $PKG_MIRROR).  Skips (exit 77) where no chroot can be made.
set -u
PKG_CACHE=${PKG_CACHE:-/var/tmp/authgate-pkgcache}
R=
PK_REFRESH=
PK_TOKEN=
_pk_n=0
_pk_fail=0

pk_log() { printf '# %s\n' "$*"; }
pk_ok() {	# pk_ok DESC COMMAND...
	_d=$1
	shift
	_pk_n=$((_pk_n + 1))
	if "$@"; then
		echo "ok $_pk_n - $_d"
	else
		_pk_fail=$((_pk_fail + 1))
		echo "not ok $_pk_n - $_d"
		return 1
	fi
}
pk_is() {	# pk_is GOT WANT DESC
	_pk_n=$((_pk_n + 1))
	if [ "x$1" = "x$2" ]; then
		echo "ok $_pk_n - $3"
	else
		_pk_fail=$((_pk_fail + 1))
		echo "not ok $_pk_n - $3"
		printf '#   got: %s\n#   want: %s\n' "$1" "$2"
		return 1
	fi
}
pk_done() {
	echo "1..$_pk_n"
	echo "# $((_pk_n - _pk_fail)) passed, $_pk_fail failed"
	[ "$_pk_fail" -eq 0 ]
	exit $?
}
pk_skip() { echo "1..0 # SKIP $*"; exit 77; }
pk_bail() { echo "Bail out! $*"; exit 1; }

pk_mirror() {
	[ -n "${PKG_MIRROR:-}" ] && { echo "$PKG_MIRROR"; return; }
	_m=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources \
	    2>/dev/null | grep -v security | head -n 1)
	[ -n "$_m" ] || _m=$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' \
	    /etc/apt/sources.list 2>/dev/null)
	echo "${_m:-http://deb.debian.org/debian}"
}

# cr COMMAND...: run a shell command line in the chroot as root.
cr() {
	chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
	    /bin/sh -c "$*"
}

pk_chroot() {
	[ "$(id -u)" -eq 0 ] || pk_skip "needs root (chroot, mount)"
	command -v debootstrap >/dev/null || pk_skip "debootstrap not installed"
	mkdir -p "$PKG_CACHE" || pk_skip "cannot make $PKG_CACHE"
	R=$(mktemp -d /var/tmp/authgate-pkg.XXXXXX) || pk_skip "mktemp failed"
	trap pk_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	_tar=$PKG_CACHE/bookworm-minbase.tar
	if [ ! -s "$_tar" ]; then
		pk_log "debootstrap --variant=minbase bookworm $(pk_mirror)"
		debootstrap --variant=minbase bookworm "$R" "$(pk_mirror)" \
		    >"$PKG_CACHE/debootstrap.log" 2>&1 ||
		    pk_skip "debootstrap failed (see $PKG_CACHE/debootstrap.log)"
		tar -C "$R" -cf "$_tar.tmp" . && mv "$_tar.tmp" "$_tar"
	else
		tar -C "$R" -xf "$_tar" || pk_bail "cannot unpack $_tar"
	fi
	# The root directory of the chroot: every user enters it (mktemp
	# made it 0700, and the tarball's "." carries that mode).
	chmod 755 "$R"
	mount -t proc proc "$R/proc" || pk_bail "cannot mount /proc"
	# Terminals (authgatectl asks passwords on one; ctl.sh tests it):
	# a devpts instance of the chroot's own, not the host's.
	mkdir -p "$R/dev/pts"
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts \
	    "$R/dev/pts" || pk_bail "cannot mount devpts"
	rm -f "$R/dev/ptmx" && ln -s pts/ptmx "$R/dev/ptmx"
	cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null
	printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
	chmod 755 "$R/usr/sbin/policy-rc.d"
	echo 'APT::Install-Recommends "false";' >"$R/etc/apt/apt.conf.d/90pkgtest"
	cr apt-get update -q >"$R/root/apt-update.log" 2>&1 ||
	    pk_bail "apt-get update failed in the chroot"
	pk_log "chroot $R ready"
}

# What runs with the chroot as its root: killed at the end.
pk_pids() {
	for _p in /proc/[0-9]*; do
		[ "$(readlink "$_p/root" 2>/dev/null)" = "$R" ] && echo "${_p#/proc/}"
	done
}

pk_cleanup() {
	_rc=$?
	trap - EXIT
	[ -n "$R" ] && [ -d "$R" ] || exit $_rc
	for _sig in TERM KILL; do
		_pids=$(pk_pids)
		[ -n "$_pids" ] && kill -s $_sig $_pids 2>/dev/null && sleep 1
	done
	# Whatever the tests mounted in it too (a tmpfs of faults.sh, the
	# /run/netns of `ip netns`), deepest first.
	for _m in $(awk -v r="$R/" 'index($2, r) == 1 { print $2 }' \
	    /proc/mounts | sort -r); do
		umount "$_m" 2>/dev/null || umount -l "$_m" 2>/dev/null
	done
	if grep -q " $R/" /proc/mounts; then
		echo "# still mounted below $R: not removed" >&2
	elif [ -n "${PKG_KEEP:-}" ]; then
		echo "# kept $R" >&2
	else
		rm -rf "$R"
	fi
	exit $_rc
}

# pk_token PORT PREFIX: an access token from http://127.0.0.1:PORT/PREFIX/token
# for alice (empty on failure); the refresh token in $R/root/refresh.
pk_token() {
	_out=$(cr "curl -s -m 10 -d grant_type=password -d username=alice \
	    -d password=alice-pw http://127.0.0.1:$1$2/token")
	# Called in $(...): the refresh token goes through a file.
	printf '%s' "$_out" | sed -n 's/.*"refresh_token":"\([^"]*\)".*/\1/p' \
	    >"$R/root/refresh"
	printf '%s' "$_out" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}

# pk_status PORT PATH [TOKEN]: the HTTP status of a GET.
pk_status() {
	cr "curl -s -m 10 -o /dev/null -w '%{http_code}' ${3:+-H 'Authorization: Bearer $3'} \
	    http://127.0.0.1:$1$2"
}

# pk_wait PORT: until something answers on 127.0.0.1:PORT (10 s).
pk_wait() {
	_i=0
	while [ $_i -lt 50 ]; do
		cr "curl -s -m 1 -o /dev/null http://127.0.0.1:$1/" && return 0
		sleep 0.2
		_i=$((_i + 1))
	done
	return 1
}

# pk_service: what authgate.socket + authgate.service do, without a
# running systemd: /run/authgate/authgate.sock, group www-data, mode
# 0660, two authgate processes as _authgate (the commands of deploy.md
# "Without systemd").
pk_service() {
	cr "mkdir -p /run/authgate && AUTHGATE_CONF=/etc/authgate/authgate.conf \
	    spawn-fcgi -s /run/authgate/authgate.sock -M 0660 \
	    -U www-data -G www-data -u _authgate -g _authgate -F 2 \
	    -- /usr/bin/authgate" >/dev/null
}

# pk_service_stop: every authgate process in the chroot ends (5 s).
pk_service_stop() {
	_i=0
	while [ $_i -lt 25 ]; do
		_left=
		# The program's name: its path, seen from the host, runs
		# through $R (/var/tmp/authgate-pkg.*); after an upgrade
		# the running program is "authgate (deleted)".
		for _p in $(pk_pids); do
			_exe=$(readlink "/proc/$_p/exe" 2>/dev/null)
			case ${_exe##*/} in
			authgate|"authgate (deleted)")
				kill "$_p" 2>/dev/null
				_left=1 ;;
			esac
		done
		[ -z "$_left" ] && return 0
		sleep 0.2
		_i=$((_i + 1))
	done
	return 1
}
# pk_service_restart: what `systemctl restart authgate` does.
pk_service_restart() {
	pk_service_stop && pk_service
}

# pk_flow PORT PREFIX SERVER: a token from PREFIX/token used on
# PREFIX/protected; refused without it.
pk_flow() {
	_t=$(pk_token "$1" "$2")
	PK_REFRESH=$(cat "$R/root/refresh")
	pk_ok "$3: a token from $2/token" test -n "$_t"
	pk_is "$(pk_status "$1" "$2/protected" "$_t")" 200 \
	    "$3: $2/protected with the token: 200"
	pk_is "$(pk_status "$1" "$2/protected")" 401 \
	    "$3: $2/protected without a token: 401"
	PK_TOKEN=$_t
}

# pk_login PORT JAR: sign alice in through http://127.0.0.1:PORT/oauth/login
# as a browser does (the form, its CSRF token, the password, rd =
# /private/hello.txt) with the cookie jar JAR in the chroot; prints the
# POST's status and Location.  The form's token is left in JAR.csrf.
pk_login() {
	cr "rm -f $2 && curl -s -m 10 -c $2 -o $2.form \
	    -H 'Accept: text/html' \
	    'http://127.0.0.1:$1/oauth/login?rd=/private/hello.txt' && \
	    sed -n 's/.*name=\"csrf\" value=\"\([A-Za-z0-9_-]*\)\".*/\1/p' \
	    $2.form | head -n 1 >$2.csrf && test -s $2.csrf && \
	    curl -s -m 10 -b $2 -c $2 -o /dev/null \
	    -w '%{http_code} %header{location}' -d username=alice \
	    -d password=alice-pw -d csrf=\$(cat $2.csrf) \
	    -d rd=/private/hello.txt http://127.0.0.1:$1/oauth/login"
}

# pk_signin PORT NAME: a person in a browser, as doc/deploy.md "Browser
# sign-in" describes it, with curl and a cookie jar in the chroot: the
# guarded /private/hello.txt sends a browser (Accept: text/html) to
# /oauth/login with rd; the form's CSRF token and alice's password
# bring her back to rd with the session cookie, which opens the file
# (Cache-Control: private, no-cache); after signing out, the cookie
# kept from before is sent to sign in again.
pk_signin() {
	_b=http://127.0.0.1:$1
	_j=/root/jar-$1
	_html="-H 'Accept: text/html,application/xhtml+xml'"
	pk_is "$(cr "curl -s -m 10 -o /dev/null $_html \
	    -w '%{http_code} %header{location}' $_b/private/hello.txt")" \
	    "302 /oauth/login?rd=/private/hello.txt" \
	    "$2 sign-in: a browser without a session goes to /oauth/login"
	pk_is "$(pk_login "$1" "$_j")" "303 /private/hello.txt" \
	    "$2 sign-in: the form and the right password go back to rd"
	pk_ok "$2 sign-in:   the session cookie is set" \
	    cr "grep -q 'authgate_session' $_j"
	pk_is "$(cr "curl -s -m 10 -b $_j $_html -D $_j.head \
	    $_b/private/hello.txt")" secret \
	    "$2 sign-in: the cookie opens the guarded file"
	pk_ok "$2 sign-in:   Cache-Control: private, no-cache" \
	    cr "grep -qi '^Cache-Control: private, no-cache' $_j.head"
	# Signing out clears the cookie in the jar; the copy kept before
	# shows that the session itself has ended, in state_db.
	cr "cp $_j $_j.kept"
	pk_is "$(cr "curl -s -m 10 -b $_j -c $_j -o /dev/null -w '%{http_code}' \
	    -d csrf=\$(cat $_j.csrf) $_b/oauth/logout")" 303 \
	    "$2 sign-in: sign-out"
	pk_is "$(cr "curl -s -m 10 -b $_j.kept -o /dev/null $_html \
	    -w '%{http_code}' $_b/private/hello.txt")" 302 \
	    "$2 sign-in:   the ended session's cookie is sent to sign in again"
}

# pk_lighttpd_guard: uncomment the authorizer block of
# conf-available/10-authgate.conf and enable mod_setenv, as its comment
# says, with a file to guard in Debian's document root.
pk_lighttpd_guard() {
	cr "lighty-enable-mod setenv >/dev/null && sed -i '/^#\\\$HTTP\\[\"url\"\\] =~ \"\\^\\/private\\/\"/,/^#}/s/^#//' \
	    /etc/lighttpd/conf-available/10-authgate.conf && \
	    grep -q '^\\\$HTTP' /etc/lighttpd/conf-available/10-authgate.conf && \
	    mkdir -p /var/www/html/private && \
	    echo secret >/var/www/html/private/hello.txt"
}

# pk_lighttpd PORT / pk_apache PORT / pk_nginx PORT: the server as
# Debian installs it, on 127.0.0.1:PORT instead of port 80.
pk_lighttpd() {
	cr "sed -i 's/^server.port.*/server.port = $1\nserver.bind = \"127.0.0.1\"/' \
	    /etc/lighttpd/lighttpd.conf && mkdir -p /run/lighttpd && \
	    chown www-data:www-data /run/lighttpd && \
	    sed -i '/use-ipv6.pl/d' /etc/lighttpd/lighttpd.conf && \
	    lighttpd -tt -f /etc/lighttpd/lighttpd.conf && \
	    lighttpd -f /etc/lighttpd/lighttpd.conf" >"$R/root/lighttpd.log" 2>&1 &&
	    pk_wait "$1"
}
pk_apache() {
	cr "sed -i 's/^Listen 80\$/Listen 127.0.0.1:$1/; s/^\\(\\s*Listen 443\\)/#\\1/' \
	    /etc/apache2/ports.conf && apache2ctl configtest && apache2ctl start" \
	    >"$R/root/apache.log" 2>&1 && pk_wait "$1"
}
pk_nginx() {
	cr "sed -i 's/listen 80 default_server;/listen 127.0.0.1:$1 default_server;/; \
	    s/listen \\[::\\]:80 default_server;//; \
	    s|^\\(\\s*server_name _;\\)|\\1\\n\\tinclude snippets/authgate.conf;|' \
	    /etc/nginx/sites-available/default && nginx -t && nginx" \
	    >"$R/root/nginx.log" 2>&1 && pk_wait "$1"
}
