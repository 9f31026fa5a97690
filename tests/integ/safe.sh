#!/bin/sh
# The safe layouts: authgate under a user of its own (nobody here, for
# _authgate) behind a unix socket made as authgate.socket makes it
# (group www-data, mode 0660; spawn-fcgi stands in for systemd), its
# files handed over with `authgatectl init --owner`, and each web server
# only connecting: lighttpd etc/lighttpd/10-authgate.conf (with its
# authorizer block uncommented), Apache etc/apache2/authgate-proxy.conf
# (unchanged; the socket through Define AUTHGATE_SOCKET), nginx
# etc/nginx/snippets/authgate.conf.  The lighttpd and nginx files name
# /run/authgate/authgate.sock, which is replaced by the test's socket.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integ/lib.sh"

MODS=$AG_APACHE_MODS
SVC_USER=nobody
SVC_GROUP=nogroup

[ "$(id -u)" -eq 0 ] || skip_all "needs root (switches users)"
ag_require_bins
ag_require_cmd spawn-fcgi curl setpriv
id www-data >/dev/null 2>&1 && id "$SVC_USER" >/dev/null 2>&1 ||
    skip_all "no www-data or $SVC_USER user"

ag_tmpdir
chmod 755 "$AG_TMP"
ag_bin_public
mkdir -p "$AG_TMP/var" "$AG_TMP/run" "$AG_TMP/htdocs/private" "$AG_TMP/logs"
ag_setup_conf "user_db=$AG_TMP/var/users.db" \
    "state_db=$AG_TMP/var/state.db" "key_file=$AG_TMP/var/signing.key"
chmod 644 "$AG_CONF"
ag_init
ag_user alice "open sesame" "read write"
owner() { ag_ctl init --owner "$SVC_USER" >"$AG_TMP/owner.log" 2>&1; }
ag_add_log "$AG_TMP/owner.log"
ok "authgatectl init --owner $SVC_USER" owner
tcheck() {
	"$AG_BIN" -c "$AG_CONF" -t -u "$SVC_USER" >"$AG_TMP/t.log" 2>&1 &&
	    grep -qx 'configuration ok' "$AG_TMP/t.log"
}
ag_add_log "$AG_TMP/t.log"
ok "authgate -t -u $SVC_USER: configuration ok" tcheck
echo "secret file" >"$AG_TMP/htdocs/private/file.txt"

sock=$AG_TMP/run/authgate.sock
start_service() {
	ag_bg spawn-fcgi env AUTHGATE_CONF="$AG_CONF" spawn-fcgi -n \
	    -s "$sock" -M 0660 -U www-data -G www-data \
	    -u "$SVC_USER" -g "$SVC_GROUP" -- "$AG_BIN"
	_i=0
	while [ ! -S "$sock" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -S "$sock" ]
}
ok "authgate as $SVC_USER on a socket of group www-data" start_service
is "$(stat -c %G:%a "$sock")" www-data:660 "  socket group www-data, mode 660"

# flow NAME PREFIX: a token from PREFIX/token used on PREFIX/protected.
flow() {
	ag_http POST "$2/token" -d grant_type=password -d username=alice \
	    --data-urlencode "password=open sesame"
	is "$AG_STATUS" 200 "$1: POST $2/token: 200"
	TOKEN=$(ag_json access_token)
	ag_http GET "$2/protected" -H "Authorization: Bearer $TOKEN"
	is "$AG_STATUS" 200 "$1: $2/protected with the token: 200"
	is "$(ag_json sub)" alice "$1:   sub alice"
	ag_http GET "$2/protected"
	is "$AG_STATUS" 401 "$1: $2/protected without: 401"
}
to_test_socket() {	# FILE: a copy with the test's socket
	sed "s|/run/authgate/authgate.sock|$sock|" "$1" >"$AG_TMP/$(basename "$1")"
}

# --- lighttpd: 10-authgate.conf, its authorizer block uncommented ------
if command -v lighttpd >/dev/null 2>&1; then
	to_test_socket "$top_srcdir/etc/lighttpd/10-authgate.conf"
	sed -i '/^#\$HTTP\["url"\] =~ "\^\/private\/"/,/^#}/s/^#//' \
	    "$AG_TMP/10-authgate.conf"
	ag_start_lighttpd "$AG_TMP/10-authgate.conf" \
	    'server.modules += ( "mod_fastcgi" )' \
	    "var.docroot := \"$AG_TMP/htdocs\""
	flow lighttpd /oauth
	ag_http GET /private/file.txt -H "Authorization: Bearer $TOKEN"
	is "$AG_STATUS" 200 "lighttpd guard: the file with the token"
	ag_http GET /private/file.txt
	is "$AG_STATUS" 401 "lighttpd guard: 401 without"
	ag_stop "$AG_LIGHTTPD_PID"
else
	skip 7 "lighttpd not installed"
fi

# --- Apache: authgate-proxy.conf --------------------------------------
if command -v apache2 >/dev/null 2>&1 && [ -f $MODS/mod_proxy_fcgi.so ]; then
	AG_PORT=$(ag_free_port)
	AG_URL=http://127.0.0.1:$AG_PORT
	ag_apache_head "$AG_TMP/httpd.conf" "$AG_PORT" "$AG_TMP/htdocs" \
	    proxy proxy_fcgi
	cat >>"$AG_TMP/httpd.conf" <<EOF
Define AUTHGATE_SOCKET $sock
Include $top_srcdir/etc/apache2/authgate-proxy.conf
EOF
	ag_bg apache2 apache2 -f "$AG_TMP/httpd.conf" -DFOREGROUND
	ok "Apache starts with authgate-proxy.conf" ag_wait_port "$AG_PORT" 10
	flow Apache /oauth
	# Without mod_proxy_fcgi, a clear configtest error, not a 404.
	grep -v proxy_fcgi "$AG_TMP/httpd.conf" >"$AG_TMP/httpd-nofcgi.conf"
	out=$(apache2 -f "$AG_TMP/httpd-nofcgi.conf" -t 2>&1)
	like "$out" 'needs mod_proxy_fcgi: a2enmod proxy_fcgi' \
	    "Apache without mod_proxy_fcgi: configtest says a2enmod proxy_fcgi"
else
	skip 6 "apache2 or mod_proxy_fcgi not installed"
fi

# --- nginx: snippets/authgate.conf in a server block ------------------
if command -v nginx >/dev/null 2>&1; then
	AG_PORT=$(ag_free_port)
	AG_URL=http://127.0.0.1:$AG_PORT
	to_test_socket "$top_srcdir/etc/nginx/snippets/authgate.conf"
	cp /etc/nginx/fastcgi_params "$AG_TMP/fastcgi_params"
	cat >"$AG_TMP/server.conf" <<EOF
server {
	listen 127.0.0.1:$AG_PORT;
	root $AG_TMP/htdocs;
	include $AG_TMP/authgate.conf;
}
EOF
	ag_nginx_conf "$AG_TMP/nginx.conf" "include $AG_TMP/server.conf;"
	ag_bg nginx nginx -p "$AG_TMP" -c "$AG_TMP/nginx.conf"
	ok "nginx starts with snippets/authgate.conf" ag_wait_port "$AG_PORT" 10
	flow nginx /oauth
else
	skip 5 "nginx not installed"
fi
ag_done
