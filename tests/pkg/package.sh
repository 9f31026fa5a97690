#!/bin/sh
# The Debian package, as README "Install from the package" says, in a
# clean Debian 12 chroot: build it (dpkg-buildpackage -us -uc -b),
# apt-get install ./authgate_*.deb, enable it for lighttpd, Apache (and
# the guard) and nginx, a token from /oauth/token used on
# /oauth/protected; a browser's sign-in (doc/deploy.md "Browser
# sign-in") through the lighttpd and Apache guards; upgrade to a rebuilt
# higher version (users, key, refresh token, browser session kept);
# mod_authgate (a2enmod authgate) with doc/deploy.md's verify-only
# configuration; remove (configuration and data kept, the
# module disabled, Apache still starts); purge (nothing of authgate
# left, Apache still starts).  Run as root by `make pkgcheck`.
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/pkg/lib.sh"

pk_chroot
# The source as a clone has it (committed files only).
mkdir -p "$R/root/src"
(cd "$top" && git archive --prefix=authgate/ HEAD) | tar -x -C "$R/root/src" ||
    pk_bail "cannot copy the source"

# -- README: the build dependencies, then the build
deps=$(sed -n '/^## Install from the package/,/^## /p' "$top/README.md" |
    sed -n '/^    apt-get install/,/[^\\]$/{p; /[^\\]$/q; }' | tr -d '\\\n' |
    sed 's/apt-get install//')
pk_ok "README's build dependencies install" \
    cr "apt-get install -y -q $deps >/root/deps.log 2>&1"
build() {
	cr "cd /root/src/authgate && dpkg-buildpackage -us -uc -b \
	    >/root/build.log 2>&1" && return 0
	pk_log "$(tail -n 25 "$R/root/build.log")"
	# A unit test that failed there: its name and log (the summary
	# above names none).
	[ -f "$R/root/src/authgate/test-suite.log" ] &&
	    pk_log "$(head -n 80 "$R/root/src/authgate/test-suite.log")"
	return 1
}
pk_ok "dpkg-buildpackage -us -uc -b" build || pk_bail "the package does not build"
# lintian as Debian runs it on uploads, plus pedantic: no error, no
# warning; every override carries its reason (debian/*.lintian-overrides).
cr "apt-get install -y -q lintian >/root/lintian-inst.log 2>&1"
cr "cd /root/src && lintian --pedantic --display-info --show-overrides \
    authgate_*.deb authgate_*.buildinfo authgate_*.changes" \
    >"$R/root/lintian.log" 2>&1
pk_log "lintian: $(wc -l <"$R/root/lintian.log") lines:"
while IFS= read -r l; do pk_log "  $l"; done <"$R/root/lintian.log"
pk_ok "lintian: no error, no warning" \
    sh -c '! grep -Eq "^[EW]: " "$0"' "$R/root/lintian.log"
# mod_authgate is in the one package, which does not bring Apache.
DEB=$(ls "$R"/root/src/authgate_0.1.0_*.deb)
pk_ok "the .deb ships mod_authgate.so and mods-available/authgate.load" \
    sh -c 'dpkg-deb -c "$0" >"$0.list" && \
    grep -q " \./usr/lib/apache2/modules/mod_authgate\.so$" "$0.list" && \
    grep -q " \./etc/apache2/mods-available/authgate\.load$" "$0.list"' "$DEB"
pk_is "$(dpkg-deb -f "$DEB" Pre-Depends Depends Recommends | grep -ci apache)" 0 \
    "no Pre-Depends, Depends or Recommends on Apache"
pk_ok "Enhances names the Apache API the module was built for" \
    sh -c 'dpkg-deb -f "$0" Enhances | grep -Eq "^apache2-api-[0-9]+$"' "$DEB"
pk_ok "apt-get install ./authgate_*.deb" \
    cr "cd /root/src && apt-get install -y -q ./authgate_*.deb >/root/inst.log 2>&1"
pk_ok "installing it brought no Apache" cr "! dpkg -s apache2-bin >/dev/null 2>&1"
pk_is "$(cr 'stat -c %U:%a /etc/authgate/signing.key')" "_authgate:600" \
    "signing key made at install, readable by _authgate alone"
pk_is "$(cr 'stat -c %U /var/lib/authgate /var/lib/authgate/users.db /var/lib/authgate/state.db | sort -u')" \
    _authgate "/var/lib/authgate and the databases belong to _authgate"
pk_ok "the key is not in the .deb" \
    cr "! dpkg -c /root/src/authgate_*.deb | grep -q signing.key"
pk_ok "authgate.conf is a conffile" \
    cr "dpkg-query -W -f='\${Conffiles}' authgate | grep -q /etc/authgate/authgate.conf"
pk_ok "logrotate file for the audit log: a conffile, and logrotate (if there) reads it" \
    cr "dpkg-query -W -f='\${Conffiles}' authgate | grep -q /etc/logrotate.d/authgate && \
    { ! command -v logrotate >/dev/null || \
    logrotate -d /etc/logrotate.d/authgate >/root/logrotate.log 2>&1; }"
pk_ok "authgate.socket enabled (sockets.target.wants)" \
    cr "test -L /etc/systemd/system/sockets.target.wants/authgate.socket"
pk_ok "authgate-guard.service not enabled" \
    cr "! ls /etc/systemd/system/*.wants/authgate-guard.service 2>/dev/null"
pk_ok "authgatectl user add alice (README)" \
    cr "echo alice-pw | authgatectl user add alice --scope 'read write' --password-stdin >/dev/null"
pk_ok "authgatectl client add app --public" \
    cr "authgatectl client add app --public >/dev/null"
pk_ok "authgate -t -u _authgate: configuration ok" \
    cr "authgate -t -u _authgate 2>&1 | grep -qx 'configuration ok'"

# authgate.socket + authgate.service, without a running systemd.
pk_ok "servers install" cr "apt-get install -y -q lighttpd apache2 nginx-light \
    curl spawn-fcgi >/root/servers.log 2>&1"
pk_ok "authgate started as the units would (spawn-fcgi as _authgate)" pk_service

# -- lighttpd
pk_ok "lighty-enable-mod authgate" cr "lighty-enable-mod authgate >/dev/null"
pk_ok "lighttpd guard: the authorizer block of 10-authgate.conf uncommented" \
    pk_lighttpd_guard
pk_ok "lighttpd starts on 127.0.0.1:18081" pk_lighttpd 18081
pk_flow 18081 /oauth lighttpd
pk_is "$(pk_status 18081 /private/hello.txt "$PK_TOKEN")" 200 \
    "lighttpd guard: /private/hello.txt with the token: 200"
pk_is "$(pk_status 18081 /private/hello.txt)" 401 \
    "lighttpd guard: /private/hello.txt without a token: 401"
pk_signin 18081 lighttpd
pk_is "$(pk_login 18081 /root/jar-upgrade)" "303 /private/hello.txt" \
    "lighttpd: a session to keep across the upgrade"
T_LIGHTTPD=$PK_TOKEN
REFRESH=$PK_REFRESH

# -- Apache: the token service, then the guard
pk_ok "a2enmod proxy_fcgi && a2enconf authgate" \
    cr "a2enmod -q proxy_fcgi && a2enconf -q authgate >/dev/null"
# authgate-guard.service's command, on a port of the tests.
pk_ok "the guard's authgate -s 127.0.0.1:18090 as _authgate" \
    cr "setpriv --reuid=_authgate --regid=_authgate --init-groups \
    env AUTHGATE_CONF=/etc/authgate/authgate.conf \
    /usr/bin/authgate -s 127.0.0.1:18090 </dev/null >/root/guard.log 2>&1 &"
pk_ok "a2enmod authnz_fcgi authz_user headers && a2enconf authgate-guard" \
    cr "echo 'Define AUTHGATE_GUARD_ADDR 127.0.0.1:18090' \
    >/etc/apache2/conf-enabled/00-authgate-port.conf && \
    mkdir -p /var/www/private && echo secret >/var/www/private/hello.txt && \
    a2enmod -q authnz_fcgi authz_user headers && a2enconf -q authgate-guard >/dev/null"
pk_ok "Apache starts on 127.0.0.1:18082" pk_apache 18082
pk_flow 18082 /oauth Apache
pk_is "$(pk_status 18082 /private/hello.txt "$PK_TOKEN")" 200 \
    "Apache guard: /private/hello.txt with the token: 200"
pk_is "$(pk_status 18082 /private/hello.txt)" 401 \
    "Apache guard: /private/hello.txt without a token: 401"
pk_signin 18082 Apache

# -- nginx: the snippet in the default server
pk_ok "nginx with include snippets/authgate.conf on 127.0.0.1:18083" \
    pk_nginx 18083
pk_flow 18083 /oauth nginx

# -- upgrade to a rebuilt higher version
KEYSUM=$(cr "sha256sum /etc/authgate/signing.key")
cr "cd /root/src/authgate && sed -i '1s/(0.1.0)/(0.1.0+1)/' debian/changelog"
pk_ok "rebuild as 0.1.0+1" build
pk_ok "upgrade: apt-get install ./authgate_0.1.0+1_*.deb" \
    cr "cd /root/src && apt-get install -y -q ./authgate_0.1.0+1_*.deb >/root/up.log 2>&1"
pk_is "$(cr "dpkg-query -W -f='\${Version}' authgate")" 0.1.0+1 "0.1.0+1 installed"
pk_is "$(cr "sha256sum /etc/authgate/signing.key")" "$KEYSUM" "upgrade: same key"
pk_is "$(pk_status 18081 /oauth/protected "$T_LIGHTTPD")" 200 \
    "upgrade: a token from before still verifies"
out=$(cr "curl -s -m 10 -d grant_type=refresh_token -d refresh_token=$REFRESH \
    http://127.0.0.1:18081/oauth/token")
pk_ok "upgrade: the refresh token from before still works" \
    sh -c "printf '%s' '$out' | grep -q access_token"
pk_ok "upgrade: alice still logs in" test -n "$(pk_token 18081 /oauth)"
pk_is "$(cr "curl -s -m 10 -b /root/jar-upgrade \
    http://127.0.0.1:18081/private/hello.txt")" secret \
    "upgrade: a browser session from before still opens the guarded file"
pk_ok "upgrade: the client app is still there" \
    cr "authgatectl client list | grep -qw app"

# -- mod_authgate, as doc/deploy.md says for the package: tokens signed
# with ES256, Apache (www-data) verifying with the public keys only
# (verify.conf), the signing key still _authgate's alone.
pk_ok "ES256: algorithm in authgate.conf, key rotate --alg ES256" \
    cr "sed -i 's/^algorithm = HS256/algorithm = ES256/' /etc/authgate/authgate.conf && \
    grep -qx 'algorithm = ES256' /etc/authgate/authgate.conf && \
    authgatectl key rotate --alg ES256 >/root/rotate.log 2>&1"
pk_is "$(cr 'stat -c %U:%a /etc/authgate/signing.key')" "_authgate:600" \
    "the ES256 signing key is still _authgate's alone"
# authgate reads the configuration at start (the keys it reloads by
# itself): `systemctl restart authgate` in deploy.md.
pk_ok "authgate restarted (the units' stand-in)" pk_service_restart
pk_ok "verify.conf and jwks.json from /oauth/.well-known/jwks.json (deploy.md)" \
    cr "curl -sf -m 10 http://127.0.0.1:18081/oauth/.well-known/jwks.json \
    >/etc/authgate/jwks.json && grep -q '\"alg\":\"ES256\"' /etc/authgate/jwks.json && \
    printf '%s\n' 'algorithm = ES256' 'verify_only = yes' \
    'jwks_file = jwks.json' 'key_dir = public' >/etc/authgate/verify.conf"
pk_ok "authgate -t -c verify.conf -u www-data: configuration ok" \
    cr "authgate -t -c /etc/authgate/verify.conf -u www-data 2>&1 | \
    grep -qx 'configuration ok'"
pk_ok "a2enmod authgate (mods-enabled: authgate.load, .conf, authz_user)" \
    cr "a2enmod -q authgate && test -L /etc/apache2/mods-enabled/authgate.load && \
    test -L /etc/apache2/mods-enabled/authgate.conf && \
    test -e /etc/apache2/mods-enabled/authz_user.load"
# Two guarded directories of the administrator's: /mod with verify.conf,
# /modfull with the package's authgate.conf (its key unreadable to
# www-data: 503).  AuthgateConf inside <IfModule>, as deploy.md says.
cr "mkdir -p /var/www/mod /var/www/modfull && echo mod >/var/www/mod/hello.txt && \
    echo full >/var/www/modfull/hello.txt && cat >/etc/apache2/conf-available/modtest.conf" <<'MODTEST'
Alias /mod /var/www/mod
Alias /modfull /var/www/modfull
<Location /mod>
	AuthType Bearer
	AuthName authgate
	<IfModule authgate_module>
		AuthgateConf /etc/authgate/verify.conf
	</IfModule>
	Require valid-user
</Location>
<Location /modfull>
	AuthType Bearer
	AuthName authgate
	<IfModule authgate_module>
		AuthgateConf /etc/authgate/authgate.conf
	</IfModule>
	Require valid-user
</Location>
MODTEST
pk_ok "Apache restarts with mod_authgate" \
    cr "a2enconf -q modtest && apache2ctl configtest >/root/apache-mod.log 2>&1 && \
    apache2ctl restart >>/root/apache-mod.log 2>&1"
sleep 1
pk_wait 18082
T_MOD=$(cr "authgatectl token issue alice --scope read")
pk_ok "authgatectl token issue alice: an ES256 token" \
    sh -c 'printf "%s" "$0" | cut -d. -f1 | base64 -d 2>/dev/null | grep -q ES256' "$T_MOD"
pk_is "$(pk_status 18082 /mod/hello.txt "$T_MOD")" 200 \
    "mod_authgate: /mod/hello.txt with the token: 200"
pk_is "$(pk_status 18082 /mod/hello.txt)" 401 \
    "mod_authgate: /mod/hello.txt without a token: 401"
pk_is "$(pk_status 18082 /modfull/hello.txt "$T_MOD")" 503 \
    "mod_authgate with authgate.conf, whose key www-data cannot read: 503"

# -- remove, then purge
pk_service_stop
pk_ok "apt-get remove authgate" cr "apt-get remove -y -q authgate >/root/rm.log 2>&1"
pk_ok "remove keeps configuration, key and databases" \
    cr "test -f /etc/authgate/authgate.conf -a -f /etc/authgate/signing.key \
    -a -f /var/lib/authgate/users.db"
pk_ok "remove: mod_authgate disabled (prerm), authgate.load kept" \
    cr "test ! -e /etc/apache2/mods-enabled/authgate.load && \
    test ! -e /etc/apache2/mods-enabled/authgate.conf && \
    test -f /etc/apache2/mods-available/authgate.load && \
    test ! -e /usr/lib/apache2/modules/mod_authgate.so"
pk_ok "remove: Apache configuration still valid, Apache restarts" \
    cr "apache2ctl configtest >/root/apache-rm.log 2>&1 && \
    apache2ctl restart >>/root/apache-rm.log 2>&1"
sleep 1
pk_wait 18082
pk_is "$(pk_status 18082 /mod/hello.txt "$T_MOD")" 500 \
    "remove: the guarded /mod is refused (500), not served"
# The administrator's own files of the module section go first: purge
# removes the package's files, not these.
cr "rm -f /etc/authgate/verify.conf /etc/authgate/jwks.json"
pk_ok "apt-get purge authgate" cr "apt-get purge -y -q authgate >/root/purge.log 2>&1"
left=$(cr "ls -d /etc/authgate /var/lib/authgate /usr/bin/authgate* \
    /etc/lighttpd/conf-*/*authgate* /etc/apache2/conf-*/authgate* \
    /etc/apache2/mods-*/authgate* /usr/lib/apache2/modules/mod_authgate.so \
    /var/lib/apache2/module/*/authgate \
    /etc/nginx/snippets/authgate.conf /lib/systemd/system/authgate* \
    /etc/logrotate.d/authgate /etc/systemd/system/*/authgate* 2>/dev/null; getent passwd _authgate; \
    getent group _authgate; dpkg -l authgate 2>/dev/null | grep '^.[^n]'")
pk_is "$left" "" "purge: nothing of authgate left (files, links, user, group)"
pk_ok "purge: lighttpd configuration still valid" \
    cr "lighttpd -tt -f /etc/lighttpd/lighttpd.conf"
pk_ok "purge: Apache configuration still valid (after removing our port file)" \
    cr "rm -f /etc/apache2/conf-enabled/00-authgate-port.conf && apache2ctl configtest 2>/dev/null"
pk_done
