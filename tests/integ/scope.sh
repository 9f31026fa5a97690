#!/bin/sh
# Scopes with ':' and ',' (RFC 6749 3.3 scope-tokens) end to end:
# authgatectl stores them, the token endpoint grants them, the guard
# requires them (authgate as a CGI, real GDBM file), and the file stays
# one that htdbm and Apache's mod_authn_dbm/mod_authz_dbm read, the
# scope "api:read" being the group "api%3Aread" there.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integ/lib.sh"

MODS=$AG_APACHE_MODS
ag_require_bins
ag_require_cmd htdbm curl
ag_tmpdir
# bcrypt: a hash that htdbm and mod_authn_dbm verify too.
ag_setup_conf "password_hash=bcrypt"
ag_init
PW="Carol-pw-1"
ag_user carol "$PW" "api:read repo:status a,b"

# --- authgatectl ---------------------------------------------------------
OUT=$(ag_ctl user show carol 2>&1)
like "$OUT" "^scope: api:read repo:status a,b$" "user show: scopes with ':' and ','"
OUT=$(ag_ctl token issue carol --scope "repo:status" 2>&1)
is "$?" 0 "token issue --scope repo:status"
OUT=$(ag_ctl token issue carol --scope "api:write" 2>&1)
is "$?" 1 "token issue beyond the user's scope: exit 1"
printf 'x\n' | ag_ctl user add dave --scope 'a"b' --password-stdin \
    >"$AG_TMP/out" 2>&1
is "$?" 1 "scope with '\"' refused"
like "$(cat "$AG_TMP/out")" 'a"b.*RFC 6749' "says which and why"

# --- the file, as Apache's tools read it ---------------------------------
OUT=$(htdbm -TGDBM -l "$AG_TMP/users.db" 2>&1)
like "$OUT" "carol.*api%3Aread,repo%3Astatus,a%2Cb" \
    "htdbm -l: the scopes as encoded groups"
htdbm -TGDBM -vb "$AG_TMP/users.db" carol "$PW" >"$AG_TMP/out" 2>&1
is "$?" 0 "htdbm -v verifies carol's password"

# --- token endpoint and guard (CGI) -------------------------------------
ag_cgi POST /token "username=carol&password=$PW&scope=api%3Aread" "" "" \
    "$AG_BIN"
is "$AG_STATUS" 200 "login asking scope=api:read"
is "$(ag_json scope)" "api:read" "granted api:read"
TOK=$(ag_json access_token)
ag_cgi POST /token "username=carol&password=$PW&scope=api%3Awrite" "" "" \
    "$AG_BIN"
is "$AG_STATUS" 400 "login asking scope=api:write: 400"
is "$(ag_json error)" "invalid_scope" "invalid_scope"
ag_cgi GET /protected "" "Bearer $TOK" "" \
    env AUTHGATE_REQUIRE_SCOPE=api:read "$AG_BIN"
is "$AG_STATUS" 200 "/protected requiring api:read"
like "$AG_BODY" '"scope":"api:read"' "the token's scope"
ag_cgi GET /protected "" "Bearer $TOK" "" \
    env AUTHGATE_REQUIRE_SCOPE=repo:status "$AG_BIN"
is "$AG_STATUS" 403 "/protected requiring repo:status: 403"

# --- Apache's mod_authn_dbm and mod_authz_dbm on the same file -----------
if [ "$(id -u)" -ne 0 ] || ! command -v apache2 >/dev/null 2>&1 ||
    [ ! -f $MODS/mod_authz_dbm.so ] || ! id www-data >/dev/null 2>&1; then
	skip 4 "Apache with mod_authz_dbm, as root, needed"
	ag_done
	exit 0
fi
chmod 755 "$AG_TMP"
mkdir -p "$AG_TMP/htdocs/api" "$AG_TMP/htdocs/admin" "$AG_TMP/logs"
echo api >"$AG_TMP/htdocs/api/index.html"
echo admin >"$AG_TMP/htdocs/admin/index.html"
cp "$AG_TMP/users.db" "$AG_TMP/apache-users.db"
chown www-data "$AG_TMP/apache-users.db" "$AG_TMP/logs"
AG_PORT=$(ag_free_port)
ag_apache_head "$AG_TMP/httpd.conf" "$AG_PORT" "$AG_TMP/htdocs" \
    authn_core authz_user auth_basic authn_dbm authz_dbm
cat >>"$AG_TMP/httpd.conf" <<EOF
<Location />
	AuthType Basic
	AuthName test
	AuthBasicProvider dbm
	AuthDBMType GDBM
	AuthDBMUserFile $AG_TMP/apache-users.db
	AuthzDBMType GDBM
	AuthDBMGroupFile $AG_TMP/apache-users.db
</Location>
<Location /api>
	Require dbm-group api%3Aread
</Location>
<Location /admin>
	Require dbm-group api%3Awrite
</Location>
EOF
ag_bg apache2 apache2 -f "$AG_TMP/httpd.conf" -DFOREGROUND
ok "apache2 starts" ag_wait_port "$AG_PORT" 10
AG_URL=http://127.0.0.1:$AG_PORT
ag_http GET /api/index.html -u "carol:$PW"
is "$AG_STATUS" 200 "mod_authn_dbm: carol's password; mod_authz_dbm: group api%3Aread"
ag_http GET /api/index.html -u "carol:wrong"
is "$AG_STATUS" 401 "wrong password: 401"
ag_http GET /admin/index.html -u "carol:$PW"
is "$AG_STATUS" 401 "a group carol lacks: refused"
ag_done
