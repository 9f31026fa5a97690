#!/bin/sh
# README "Install" word for word in a clean Debian 12 chroot (the
# commands are taken from README itself), then doc/deploy.md "After a
# source install" without systemd (spawn-fcgi), then lighttpd
# (lighty-enable-mod authgate), Apache (a2enconf authgate, mod_proxy_fcgi)
# and nginx (snippets/authgate.conf), each to a token from /oauth/token
# used on /oauth/protected.  Run as root by `make pkgcheck`.
# Deviations, each because a chroot has no terminal or systemd: apt-get
# is told yes, `authgatectl user add` reads the password with
# --password-stdin, `systemctl` steps are replaced by the doc's
# spawn-fcgi commands, servers listen on 127.0.0.1:1808x.
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/pkg/lib.sh"

pk_chroot
mkdir -p "$R/root/src"
(cd "$top" && git archive --prefix=authgate/ HEAD) | tar -x -C "$R/root/src" ||
    pk_bail "cannot copy the source"
echo 'APT::Get::Assume-Yes "true";' >"$R/etc/apt/apt.conf.d/91yes"

# README's Install block: the indented lines after "## Install", joined
# where they end in a backslash.
sed -n '/^## Install$/,/^## /p' "$top/README.md" | sed -n 's/^    //p' |
    sed -e :a -e '/\\$/N; s/\\\n//; ta' >"$R/root/readme-install.txt"
pk_ok "README Install has commands" test -s "$R/root/readme-install.txt"
i=0
while IFS= read -r line; do
	i=$((i + 1))
	cmd=${line%%#*}
	case $cmd in
	*"authgatectl user add"*)
		cmd="echo alice-pw | $cmd --password-stdin" ;;
	esac
	ok_line() {
		cr "cd /root/src/authgate && $cmd" >"$R/root/readme-$i.log" 2>&1
	}
	pk_ok "README: $cmd" ok_line || {
		pk_log "$(tail -n 15 "$R/root/readme-$i.log")"
		pk_log "$(grep -E '^(FAIL|ERROR):' \
		    "$R/root/src/authgate/test-suite.log" 2>/dev/null)"
		cp "$R/root/src/authgate/test-suite.log" \
		    "$PKG_CACHE/source-test-suite.log" 2>/dev/null
	}
done <"$R/root/readme-install.txt"
pk_ok "make check: no FAIL, no ERROR" \
    cr "grep -E '^# (FAIL|ERROR): +[1-9]' /root/src/authgate/test-suite.log; test \$? = 1"
pk_log "make check: $(cr "grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' /root/src/authgate/test-suite.log" | tr '\n' ' ')"
pk_ok "authgate -t -u _authgate says configuration ok" \
    cr "authgate -t -u _authgate 2>&1 | grep -qx 'configuration ok'"

# deploy.md: the units' work without systemd, then each server.
pk_ok "servers install" cr "apt-get install -q lighttpd apache2 nginx-light \
    curl spawn-fcgi >/root/servers.log 2>&1"
pk_ok "deploy.md without systemd: spawn-fcgi as _authgate" pk_service

pk_ok "lighttpd: cp 10-authgate.conf conf-available/ && lighty-enable-mod authgate" \
    cr "cp /etc/authgate/lighttpd/10-authgate.conf /etc/lighttpd/conf-available/ && \
    lighty-enable-mod authgate >/dev/null"
pk_ok "lighttpd guard: the authorizer block of 10-authgate.conf uncommented" \
    pk_lighttpd_guard
pk_ok "lighttpd starts on 127.0.0.1:18084" pk_lighttpd 18084
pk_flow 18084 /oauth lighttpd
pk_is "$(pk_status 18084 /private/hello.txt "$PK_TOKEN")" 200 \
    "lighttpd guard: /private/hello.txt with the token: 200"
pk_is "$(pk_status 18084 /private/hello.txt)" 401 \
    "lighttpd guard: /private/hello.txt without a token: 401"

pk_ok "Apache: authgate-proxy.conf as conf-available/authgate.conf, a2enmod proxy_fcgi, a2enconf authgate" \
    cr "cp /etc/authgate/apache2/authgate-proxy.conf \
    /etc/apache2/conf-available/authgate.conf && a2enmod -q proxy_fcgi && \
    a2enconf -q authgate >/dev/null"
# The guard: authgate-guard.service's command (deploy.md), on a port of
# the tests, and authgate-guard.conf.
pk_ok "Apache guard: authgate -s 127.0.0.1:18091 as _authgate" \
    cr "setpriv --reuid=_authgate --regid=_authgate --init-groups \
    env AUTHGATE_CONF=/etc/authgate/authgate.conf \
    /usr/bin/authgate -s 127.0.0.1:18091 </dev/null >/root/guard.log 2>&1 &"
pk_ok "Apache guard: cp authgate-guard.conf, a2enmod authnz_fcgi authz_user, a2enconf authgate-guard" \
    cr "cp /etc/authgate/apache2/authgate-guard.conf /etc/apache2/conf-available/ && \
    echo 'Define AUTHGATE_GUARD_ADDR 127.0.0.1:18091' \
    >/etc/apache2/conf-enabled/00-authgate-port.conf && \
    mkdir -p /var/www/private && echo secret >/var/www/private/hello.txt && \
    a2enmod -q authnz_fcgi authz_user && a2enconf -q authgate-guard >/dev/null"
pk_ok "Apache starts on 127.0.0.1:18085" pk_apache 18085
pk_flow 18085 /oauth Apache
pk_is "$(pk_status 18085 /private/hello.txt "$PK_TOKEN")" 200 \
    "Apache guard: /private/hello.txt with the token: 200"
pk_is "$(pk_status 18085 /private/hello.txt)" 401 \
    "Apache guard: /private/hello.txt without a token: 401"

pk_ok "nginx: cp snippets/authgate.conf, include it in the default server" \
    cr "cp /etc/authgate/nginx/snippets/authgate.conf /etc/nginx/snippets/"
pk_ok "nginx starts on 127.0.0.1:18086" pk_nginx 18086
pk_flow 18086 /oauth nginx

# The nginx site with the auth_request-guarded /private/ (deploy.md's
# sed, port 127.0.0.1:18087).
pk_ok "nginx site: sed the placeholders, link it in sites-enabled" \
    cr "sed -e 's|@PORT@|127.0.0.1:18087|' \
    -e 's|@SOCKET@|/run/authgate/authgate.sock|' \
    -e 's|@DOCROOT@|/var/www/html|' /etc/authgate/nginx/authgate.conf \
    >/etc/nginx/sites-available/authgate && \
    ln -s ../sites-available/authgate /etc/nginx/sites-enabled/ && \
    mkdir -p /var/www/html/private && \
    echo secret >/var/www/html/private/hello.txt && nginx -t 2>/dev/null && \
    nginx -s reload" && sleep 1
pk_flow 18087 /oauth "nginx site"
pk_is "$(pk_status 18087 /private/hello.txt "$PK_TOKEN")" 200 \
    "nginx guard: /private/hello.txt with the token: 200"
pk_is "$(pk_status 18087 /private/hello.txt)" 401 \
    "nginx guard: /private/hello.txt without a token: 401"
pk_done
