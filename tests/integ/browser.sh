#!/bin/sh
# Browser sign-in in a real browser (Debian's chromium, headless, driven
# by chromium-driver through python3-selenium: tests/integ/browser.py),
# under the shipped configurations, unchanged:
#   lighttpd  etc/lighttpd/authgate-browser.conf (authorizer role on
#             /private/, token service and pages under /oauth/)
#   nginx     etc/nginx/authgate.conf (auth_request to /auth, error_page
#             401 to the sign-in page), authgate from spawn-fcgi, over
#             HTTP and over HTTPS
#   Apache    etc/apache2/authgate-guard.conf (mod_authnz_fcgi) and
#             authgate-proxy.conf (token service, mod_proxy_fcgi), over
#             HTTP and over HTTPS (__Host- cookies, Secure)
# For each: the guarded page sends a browser to the sign-in page with rd;
# a wrong password shows the message; the right one brings it back to the
# page; the sign-out button ends the session; the authorization code
# flow from a client page ends at its redirect_uri with code, state and
# iss, and the code is exchanged with the PKCE verifier.  Screenshots of
# the sign-in page at desktop (1280x800) and phone (390x844) widths go
# to $top_builddir/tests/artifacts/browser/ (paths printed).  curl checks
# the redirects byte for byte (rd escaping) and that programs still get
# 401.  Runs as root (nginx, Apache and spawn-fcgi switch users);
# everything on 127.0.0.1, bounded in time.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integ/lib.sh"

MODS=$AG_APACHE_MODS
AG_USER=nobody
AG_GROUP=nogroup

[ "$(id -u)" -eq 0 ] || skip_all "needs root (nginx and Apache switch users)"
ag_require_bins
ag_require_cmd lighttpd nginx spawn-fcgi apache2 curl setpriv timeout \
    openssl
# The browser: skipped only when it is not installed.
ag_require_cmd chromium chromedriver
ag_require_py selenium
nginx -V 2>&1 | grep -q http_auth_request_module ||
    skip_all "nginx lacks auth_request (install nginx-light or nginx-core)"
[ -f $MODS/mod_authnz_fcgi.so ] || skip_all "mod_authnz_fcgi not installed"
[ -f $MODS/mod_proxy_fcgi.so ] || skip_all "mod_proxy_fcgi not installed"
[ -f $MODS/mod_ssl.so ] || skip_all "mod_ssl not installed"
id www-data >/dev/null 2>&1 && id "$AG_USER" >/dev/null 2>&1 ||
    skip_all "no www-data or $AG_USER user"

SHOTS=$top_builddir/tests/artifacts/browser
mkdir -p "$SHOTS" || { echo "Bail out! cannot make $SHOTS"; exit 1; }
rm -f "$SHOTS"/*.png

ag_tmpdir
chmod 755 "$AG_TMP"
ag_bin_public
mkdir -p "$AG_TMP/var" "$AG_TMP/www/private" "$AG_TMP/www/client" \
    "$AG_TMP/run" "$AG_TMP/logs" "$AG_TMP/browser"
ag_setup_conf "user_db=$AG_TMP/var/users.db" \
    "state_db=$AG_TMP/var/state.db" "key_file=$AG_TMP/var/signing.key"
chmod 644 "$AG_CONF"
ag_init
PW="correct horse"
ag_user alice "$PW" "read write"

LPORT=$(ag_free_port)
NPORT=$(ag_free_port)
APORT=$(ag_free_port)
SPORT=$(ag_free_port)
TPORT=$(ag_free_port)
GPORT=$(ag_free_port)

# The site: a guarded page and a client's callback (browser.py writes
# the client's page, whose link carries a fresh PKCE challenge).
EXPECT="The guarded page"
cat >"$AG_TMP/www/private/index.html" <<EOF
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Guarded</title></head>
<body><h1>$EXPECT</h1></body></html>
EOF
cat >"$AG_TMP/www/client/cb.html" <<'EOF'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Callback</title></head>
<body><p>The client's redirect_uri.</p></body></html>
EOF
chmod -R a+rX "$AG_TMP/www"
# Only authgate's user reads the key and the databases; lighttpd's
# authgate runs as root here (lib.sh), the others as $AG_USER.
chown -R "$AG_USER:$AG_GROUP" "$AG_TMP/var"
chmod 700 "$AG_TMP/var"

# A guarded URI with the characters that need escaping inside rd.
GUARDED='/private/index.html?a=1&b=x+y%2Fz'

# ------------------------------------------------------------ servers

# lighttpd: lib.sh's wrapper around the shipped file, with the MIME
# types a browser needs to render the pages.
AG_PORT=$LPORT
AG_LIGHTTPD_AFTER='mimetype.assign = ( ".html" => "text/html; charset=utf-8" )'
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate-browser.conf"
LURL=$AG_URL

# authgate for nginx and Apache's token service: spawn-fcgi as $AG_USER
# on a socket of www-data's; for mod_authnz_fcgi: authgate -s on TCP.
sock=$AG_TMP/run/authgate.sock
pidf=$AG_TMP/run/authgate.pid
if ! AUTHGATE_CONF=$AG_CONF spawn-fcgi -s "$sock" -M 0660 \
    -U www-data -G www-data -u "$AG_USER" -g "$AG_GROUP" -F 2 \
    -P "$pidf" -- "$AG_BIN" >"$AG_TMP/spawn.log" 2>&1; then
	echo "Bail out! spawn-fcgi: $(cat "$AG_TMP/spawn.log")"
	exit 1
fi
stop_spawned() {
	[ -s "$pidf" ] || return 0
	for p in $(cat "$pidf"); do
		kill "$p" 2>/dev/null
	done
	rm -f "$pidf"
}
trap 'stop_spawned; _ag_cleanup' EXIT
trap 'stop_spawned; _ag_cleanup; exit 1' INT TERM HUP
ag_bg authgate-s setpriv --reuid="$AG_USER" --regid="$AG_GROUP" \
    --clear-groups "$AG_BIN" -c "$AG_CONF" -s "127.0.0.1:$GPORT"
ag_wait_port "$GPORT" 10 || { echo "Bail out! authgate -s"; exit 1; }

# The HTTPS runs' certificate, self-signed.
if ! openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$AG_TMP/tls.key" \
    -out "$AG_TMP/tls.crt" >"$AG_TMP/openssl.log" 2>&1; then
	echo "Bail out! openssl req: $(cat "$AG_TMP/openssl.log")"
	exit 1
fi

# nginx: the shipped site, placeholders filled in; once more on another
# port over HTTPS ("add TLS as usual": listen ... ssl and the
# certificate; the upstream renamed, as one http block holds both).
ag_nginx_conf "$AG_TMP/nginx.conf" "include /etc/nginx/mime.types;" \
    "include $AG_TMP/site.conf;"
{
	sed -e "s|@PORT@|127.0.0.1:$NPORT|g" -e "s|@SOCKET@|$sock|g" \
	    -e "s|@DOCROOT@|$AG_TMP/www|g" "$top_srcdir/etc/nginx/authgate.conf"
	sed -e "s|listen @PORT@;|listen 127.0.0.1:$TPORT ssl; ssl_certificate $AG_TMP/tls.crt; ssl_certificate_key $AG_TMP/tls.key;|" \
	    -e "s|@SOCKET@|$sock|g" -e "s|@DOCROOT@|$AG_TMP/www|g" \
	    -e 's|upstream authgate {|upstream authgate_tls {|' \
	    -e 's|fastcgi_pass authgate;|fastcgi_pass authgate_tls;|' \
	    "$top_srcdir/etc/nginx/authgate.conf"
} >"$AG_TMP/site.conf"
cp /etc/nginx/fastcgi_params "$AG_TMP/fastcgi_params"
if ! nginx -t -p "$AG_TMP" -c "$AG_TMP/nginx.conf" >"$AG_TMP/nginx-t.log" 2>&1
then
	echo "Bail out! nginx -t: $(cat "$AG_TMP/nginx-t.log")"
	exit 1
fi
ag_bg nginx nginx -p "$AG_TMP" -c "$AG_TMP/nginx.conf"
ag_wait_port "$NPORT" 10 || { echo "Bail out! nginx"; exit 1; }
ag_wait_port "$TPORT" 10 || { echo "Bail out! nginx (HTTPS)"; exit 1; }
NURL=http://127.0.0.1:$NPORT
TURL=https://127.0.0.1:$TPORT

# Apache: the guard (mod_authnz_fcgi to authgate -s) and the token
# service (mod_proxy_fcgi to the socket), both shipped files unchanged;
# on a second port over HTTPS too, where the cookies are __Host- and
# Secure.
ag_apache_head "$AG_TMP/httpd.conf" "$APORT" "$AG_TMP/www" authn_core \
    authz_user mime alias headers proxy proxy_fcgi authnz_fcgi setenvif \
    socache_shmcb ssl
cat >>"$AG_TMP/httpd.conf" <<EOF
Define TMP $AG_TMP
Define AUTHGATE_GUARD_DIR $AG_TMP/www/private
Define AUTHGATE_GUARD_ADDR 127.0.0.1:$GPORT
Define AUTHGATE_SOCKET $sock
TypesConfig /etc/mime.types
AddDefaultCharset utf-8
Include $top_srcdir/etc/apache2/authgate-proxy.conf
Include $top_srcdir/etc/apache2/authgate-guard.conf
Listen 127.0.0.1:$SPORT https
SSLSessionCache shmcb:\${TMP}/run/ssl_scache(65536)
<VirtualHost 127.0.0.1:$SPORT>
	SSLEngine on
	SSLCertificateFile $AG_TMP/tls.crt
	SSLCertificateKeyFile $AG_TMP/tls.key
</VirtualHost>
EOF
chown www-data "$AG_TMP/logs"
if ! apache2 -f "$AG_TMP/httpd.conf" -t >"$AG_TMP/apache-t.log" 2>&1; then
	echo "Bail out! apache2 -t: $(cat "$AG_TMP/apache-t.log")"
	exit 1
fi
ag_bg apache2 apache2 -f "$AG_TMP/httpd.conf" -DFOREGROUND
ag_wait_port "$APORT" 10 || { echo "Bail out! apache2"; exit 1; }
ag_wait_port "$SPORT" 10 || { echo "Bail out! apache2 (HTTPS)"; exit 1; }
AURL=http://127.0.0.1:$APORT
SURL=https://127.0.0.1:$SPORT

# ------------------------------------------------------------ curl

# redirects NAME URL: what a browser and a program get from the guarded
# page without credentials (curl -k for the test's own certificate).
redirects() {
	_rk=
	case $2 in https:*) _rk=-k ;; esac
	ag_http GET "$2$GUARDED" $_rk \
	    -H 'Accept: text/html,application/xhtml+xml,*/*;q=0.8'
	is "$AG_STATUS" 302 "$1: a browser without a session: 302"
	loc=$(ag_header Location)
	like "$loc" '^(http://127\.0\.0\.1:[0-9]+)?/oauth/login\?rd=' \
	    "$1:   to /oauth/login?rd="
	rd=$(printf '%s' "${loc#*\?rd=}" | "$AG_PY" -c \
	    'import sys, urllib.parse; print(urllib.parse.unquote(sys.stdin.read()))')
	is "$rd" "$GUARDED" "$1:   rd decodes to the URI asked for, & + % included"
	ag_http GET "$2$GUARDED" $_rk
	is "$AG_STATUS" 401 "$1: a program without a token: 401, no redirect"
	like "$(ag_header WWW-Authenticate)" '^Bearer realm="authgate"' \
	    "$1:   with WWW-Authenticate"
	ag_http POST "$2/oauth/token" $_rk -d grant_type=password \
	    -d username=alice --data-urlencode "password=$PW"
	tok=$(ag_json access_token)
	ag_http GET "$2$GUARDED" $_rk -H "Authorization: Bearer $tok" \
	    -H 'Accept: text/html'
	is "$AG_STATUS" 200 "$1: a bearer token still passes"
	like "$(ag_header Cache-Control)" 'private.*no-cache|no-cache.*private' \
	    "$1:   the guarded page: Cache-Control private, no-cache"
}
redirects lighttpd "$LURL"
redirects nginx "$NURL"
redirects nginx-https "$TURL"
redirects apache "$AURL"
redirects apache-https "$SURL"

# nginx escapes with its maps, one character each: more than six give
# an empty rd (login_redirect after sign-in), never a wrong one.
ag_http GET "$NURL/private/index.html?a&b&c&d&e&f&g&h" -H 'Accept: text/html'
is "$(ag_header Location)" "/oauth/login?rd=" \
    "nginx: seven characters to escape: an empty rd"
ag_http GET "$NURL/private/a%2Fb&c+d.html" -H 'Accept: text/html'
is "$(ag_header Location)" "/oauth/login?rd=/private/a%252Fb%26c%2Bd.html" \
    "nginx: % & + in the path escaped"

# ------------------------------------------------------------ browser

# browse NAME URL [ARG...]: browser.py's TAP lines counted here.
browse() {
	_n=$1
	_u=$2
	shift 2
	# A public client of its own (authgatectl takes four redirect URIs
	# a client), for the client page of this server.
	ok "$_n: authgatectl client add (public, authorization_code)" \
	    ag_ctl client add "browser-$_n" --public \
	    --grant authorization_code --redirect-uri "$_u/client/cb.html"
	timeout -k 5 100 "$AG_PY" "$top_srcdir/tests/integ/browser.py" \
	    --name "$_n" --base "$_u" --guarded "$GUARDED" --expect "$EXPECT" \
	    --user alice --password "$PW" --client-id "browser-$_n" \
	    --client-dir "$AG_TMP/www/client" \
	    --redirect-uri "$_u/client/cb.html" --shots "$SHOTS" \
	    --tmp "$AG_TMP/browser" --timeout 90 "$@" \
	    >"$AG_TMP/browser-$_n.out" 2>"$AG_TMP/browser-$_n.err"
	_rc=$?
	while IFS= read -r _l; do
		case $_l in
		"ok - "*) pass "${_l#ok - }" ;;
		"not ok - "*) _ag_result 1 "${_l#not ok - }" ;;
		"#"*) echo "$_l" ;;
		esac
	done <"$AG_TMP/browser-$_n.out"
	is "$_rc" 0 "$_n: browser.py exits 0"
	[ "$_rc" -eq 0 ] || diag "$(tail -n 20 "$AG_TMP/browser-$_n.err")"
}
ag_add_log "$AG_TMP/browser/chromedriver.log"

browse lighttpd "$LURL"
browse nginx "$NURL"
browse nginx-https "$TURL" --insecure --cookie __Host-authgate_session
browse apache "$AURL"
browse apache-https "$SURL" --insecure --cookie __Host-authgate_session

ag_no_sanitizer_reports
diag "screenshots of the sign-in page:" $(ls "$SHOTS"/*.png 2>/dev/null)
ag_done
