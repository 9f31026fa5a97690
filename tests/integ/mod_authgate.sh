#!/bin/sh
# mod_authgate (apache/) in a real Apache httpd 2.4 with the shipped
# etc/apache2/authgate-module.conf: a valid token is let through with
# REMOTE_USER (CGI, access log %u, Require user) and AUTHGATE_SCOPE;
# missing, malformed, tampered, expired and revoked tokens get 401 with
# the very WWW-Authenticate that authgate's /auth gives (authgate run as
# a CGI here); AuthgateRequireScope gives 403; a replaced key is picked
# up; the session cookie and the browser's 302 work as in the
# authorizer, and user passwd ends a session at once; and the module
# writes nothing.  Runs as root: Apache switches to
# www-data, which then owns authgate's files.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integ/lib.sh"

MOD=${top_builddir:-.}/mod_authgate.so

[ "$(id -u)" -eq 0 ] || skip_all "needs root (Apache switches to www-data)"
ag_require_bins
ag_require_cmd apache2 curl setpriv
[ -f "$MOD" ] || skip_all "mod_authgate.so not built (no apxs)"
id www-data >/dev/null 2>&1 || skip_all "no www-data user"

ag_tmpdir
# Everything below works in $AG_TMP: never run on without it.
case "$AG_TMP" in /tmp/?*) ;; *) echo "Bail out! no AG_TMP"; exit 1 ;; esac
chmod 755 "$AG_TMP"
ag_bin_public
mkdir -p "$AG_TMP/var" "$AG_TMP/htdocs" "$AG_TMP/private/admin" \
    "$AG_TMP/private/bob" "$AG_TMP/private/alice" "$AG_TMP/logs"
ag_setup_conf "user_db=$AG_TMP/var/users.db" \
    "state_db=$AG_TMP/var/state.db" "key_file=$AG_TMP/var/signing.key" \
    leeway=0
chmod 644 "$AG_CONF"
ag_init
ag_user alice "open sesame" "read write admin"
cp "$MOD" "$AG_TMP/mod_authgate.so"
chown -R www-data:www-data "$AG_TMP/var" "$AG_TMP/logs"
chmod 700 "$AG_TMP/var"

echo "secret file" >"$AG_TMP/private/file.txt"
for d in admin bob alice; do echo "$d file" >"$AG_TMP/private/$d/f.txt"; done
ag_whoami_cgi "$AG_TMP/private"

AG_PORT=$(ag_free_port)
HC=$AG_TMP/httpd.conf
ag_apache_head "$HC" "$AG_PORT" "$AG_TMP/htdocs" authn_core authz_user \
    mime alias cgid "authgate=$AG_TMP/mod_authgate.so"
cat >>"$HC" <<HTTPD_CONF
Define TMP $AG_TMP
Define AUTHGATE_CONF $AG_CONF
Define AUTHGATE_GUARD_DIR $AG_TMP/private
LogFormat "%u %U %>s" user
CustomLog \${TMP}/logs/access.log user
TypesConfig /etc/mime.types
ScriptSock \${TMP}/logs/cgid.sock
Include $top_srcdir/etc/apache2/authgate-module.conf
<Directory \${TMP}/private>
	Options +ExecCGI
	AddHandler cgi-script .cgi
</Directory>
<Location /private/admin>
	AuthgateRequireScope admin
</Location>
<Location /private/bob>
	Require user bob
</Location>
<Location /private/alice>
	Require user alice
</Location>
HTTPD_CONF

apache_t() {
	apache2 -f "$HC" -t >"$AG_TMP/apache-t.log" 2>&1
}
ag_add_log "$AG_TMP/apache-t.log"
ok "apache2 -t accepts the shipped authgate-module.conf" apache_t
# A wrong AuthgateConf is named by configtest, not found only when a
# reload stops the running server.
sed "s|^Define AUTHGATE_CONF .*|Define AUTHGATE_CONF $AG_TMP/missing.conf|" \
    "$HC" >"$AG_TMP/httpd-missing.conf"
apache2 -f "$AG_TMP/httpd-missing.conf" -t >"$AG_TMP/apache-t2.log" 2>&1
isnt "$?" 0 "apache2 -t refuses an AuthgateConf that does not exist"
like "$(cat "$AG_TMP/apache-t2.log")" "AuthgateConf $AG_TMP/missing.conf" \
    "  naming it"
printf 'no_such_key = 1\n' >"$AG_TMP/bad.conf"
sed "s|^Define AUTHGATE_CONF .*|Define AUTHGATE_CONF $AG_TMP/bad.conf|" \
    "$HC" >"$AG_TMP/httpd-bad.conf"
apache2 -f "$AG_TMP/httpd-bad.conf" -t >"$AG_TMP/apache-t3.log" 2>&1
isnt "$?" 0 "apache2 -t refuses an AuthgateConf with an unknown key"
like "$(cat "$AG_TMP/apache-t3.log")" "bad.conf:1" "  with its line"
ag_bg apache2 apache2 -f "$HC" -DFOREGROUND
APACHE_PID=$AG_LAST_PID
ok "apache2 starts with mod_authgate" ag_wait_port "$AG_PORT" 10
AG_URL=http://127.0.0.1:$AG_PORT

# issue [ARG...]: a token for alice from authgatectl.
issue() {
	ag_ctl token issue alice --scope "read write" "$@" 2>>"$AG_TMP/ctl.log"
}
# statuses TOKEN [PATH]: the statuses of 30 requests, counted ("30 200").
statuses() {
	for _i in $(seq 30); do
		curl -s -o /dev/null -w '%{http_code}\n' \
		    -H "Authorization: Bearer $1" "$AG_URL${2:-/private/file.txt}"
	done | sort | uniq -c |
	    awk '{ printf "%s%s %s", s, $1, $2; s = ", " }'
}
# same_challenge NAME AUTHORIZATION: the module's 401 and its
# WWW-Authenticate are authgate's own (/auth, as a CGI) for this header.
same_challenge() {
	if [ -n "$2" ]; then
		ag_http GET /private/file.txt -H "Authorization: $2"
	else
		ag_http GET /private/file.txt
	fi
	is "$AG_STATUS" 401 "$1: 401"
	_mod=$(ag_header WWW-Authenticate)
	unlike "$AG_BODY" 'secret file' "$1:   not the file"
	ag_cgi GET /auth "" "$2" "" "$AG_BIN"
	is "$_mod" "$(ag_header WWW-Authenticate)" \
	    "$1:   WWW-Authenticate as authgate's: $_mod"
}

TOKEN=$(issue)
like "$TOKEN" '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "a token"
ADMIN=$(ag_ctl token issue alice --scope "read admin" 2>>"$AG_TMP/ctl.log")
# From here to the check below, only the module touches authgate's files.
touch "$AG_TMP/before"
sleep 1
is "$(statuses "$TOKEN")" "30 200" "valid token: 30 requests, all 200"
ag_http GET /private/file.txt -H "Authorization: Bearer $TOKEN"
is "$AG_BODY" "secret file" "  the file"
ag_http GET /private/whoami.cgi -H "Authorization: Bearer $TOKEN"
like "$AG_BODY" '^REMOTE_USER=alice$' "a CGI script sees REMOTE_USER=alice"
like "$AG_BODY" '^AUTHGATE_SCOPE=read write$' \
    "  and AUTHGATE_SCOPE=read write"
like "$AG_BODY" '^AUTH_TYPE=Bearer$' "  and AUTH_TYPE=Bearer"
ok "the access log names the user (%u)" \
    grep -q '^alice /private/file.txt 200$' "$AG_TMP/logs/access.log"
ag_http GET /private/alice/f.txt -H "Authorization: Bearer $TOKEN"
is "$AG_STATUS" 200 "Require user alice: alice's token passes"
ag_http GET /private/bob/f.txt -H "Authorization: Bearer $TOKEN"
is "$AG_STATUS" 401 "Require user bob: alice's token is refused"
ag_http GET /private/admin/f.txt -H "Authorization: Bearer $TOKEN"
is "$AG_STATUS" 403 "AuthgateRequireScope admin, token without it: 403"
like "$(ag_header WWW-Authenticate)" \
    'error="insufficient_scope".*scope="admin"' "  insufficient_scope"
is "$(statuses "$ADMIN" /private/admin/f.txt)" \
    "30 200" "a token with scope admin: 200"

is "$(statuses "x$TOKEN")" "30 401" "a token not ours: 30 times 401"
ok "the module wrote nothing in authgate's directory" \
    test -z "$(find "$AG_TMP/var" -newer "$AG_TMP/before")"

# -- refused, with authgate's own challenge
HDR=${TOKEN%%.*}
REST=${TOKEN#*.}
PAY=${REST%%.*}
SIG=${REST#*.}
flip() {	# the string with its character at offset $2 changed
	printf '%s' "$1" | "$AG_PY" -c 'import sys
s = sys.stdin.read(); i = int(sys.argv[1]) % len(s)
print(s[:i] + ("A" if s[i] != "A" else "B") + s[i + 1:])' "$2"
}
same_challenge "no token" ""
same_challenge "not Bearer" "Basic YWxpY2U6cHc="
same_challenge "Bearer without a token" "Bearer"
same_challenge "not a b64token" "Bearer a,b"
same_challenge "signature changed" "Bearer $HDR.$PAY.$(flip "$SIG" -1)"
same_challenge "payload changed" "Bearer $HDR.$(flip "$PAY" 20).$SIG"
same_challenge "header changed" "Bearer $(flip "$HDR" 3).$PAY.$SIG"
is "$(statuses "$HDR.$(flip "$PAY" 20).$SIG")" "30 401" \
    "payload changed, after the token was cached: 30 times 401"

# -- expired: cached claims meet the clock
SHORT=$(issue --ttl 2)
is "$(statuses "$SHORT")" "30 200" "a 2 s token, cached"
sleep 3
is "$(statuses "$SHORT")" "30 401" "expired: 30 times 401"
same_challenge "expired" "Bearer $SHORT"
like "$_mod" 'token expired' "  token expired"

# -- revoked: the deny list, read by every child at once
ag_ctl token revoke "$TOKEN" >>"$AG_TMP/ctl.log" 2>&1
is "$?" 0 "authgatectl token revoke"
is "$(statuses "$TOKEN")" "30 401" "revoked: 30 times 401"
same_challenge "revoked" "Bearer $TOKEN"
like "$_mod" 'token revoked' "  token revoked"

# -- a replaced key is loaded, as by authgate
T2=$(issue)
is "$(statuses "$T2")" "30 200" "a second token, cached"
ag_ctl key generate --force >>"$AG_TMP/ctl.log" 2>&1
is "$?" 0 "the signing key replaced"
chown -R www-data:www-data "$AG_TMP/var"
sleep 2
is "$(statuses "$T2")" "30 401" "the old key's token: 30 times 401"
is "$(statuses "$(issue)")" "30 200" "a token of the new key: 200"

# -- browser sessions (SPEC "Browser sign-in"), as the authorizer takes them
SESSION=$("$top_builddir/tests/mksession" "$AG_CONF" alice 2>>"$AG_TMP/ctl.log")
ag_http GET /private/whoami.cgi -H "Cookie: x=1; authgate_session=$SESSION"
is "$AG_STATUS" 200 "the session cookie: 200"
like "$AG_BODY" '^REMOTE_USER=alice$' "  REMOTE_USER=alice"
ag_http GET '/private/file.txt?a=b' -H 'Accept: text/html,*/*;q=0.8'
is "$AG_STATUS" 302 "a browser without credentials: 302"
is "$(ag_header Location)" "/oauth/login?rd=/private/file.txt%3Fa%3Db" \
    "  to login_url with rd"
is "$(ag_header Cache-Control)" "no-store" "  no-store"
ag_http GET /private/file.txt -H 'Accept: application/json'
is "$AG_STATUS" 401 "a script without credentials: 401"
ag_http GET /private/file.txt -H "Cookie: authgate_session=$(issue)"
is "$AG_STATUS" 401 "an access token as the cookie: 401"
ag_http GET /private/file.txt -H "Authorization: Bearer $SESSION"
is "$AG_STATUS" 401 "the session as a bearer token: 401"
printf 'new pw\n' | ag_ctl user passwd alice --password-stdin \
    >>"$AG_TMP/ctl.log" 2>&1
is "$?" 0 "user passwd alice"
chown -R www-data:www-data "$AG_TMP/var"
ag_http GET /private/file.txt -H "Cookie: authgate_session=$SESSION"
is "$AG_STATUS" 401 "  the session ended at once"

ag_stop "$APACHE_PID"
ag_done
