#!/bin/sh
# authgatectl(8) end to end: init, users, clients, keys, offline tokens,
# htpasswd import; exit statuses 0/1/2; the key file's mode; no hash or
# password ever on the output.  Uses etc/authgate.conf as shipped with
# the files in a temporary directory and a low scrypt cost.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integ/lib.sh"

[ -x "$AG_CTL" ] || skip_all "authgatectl not built"
ag_tmpdir
ag_setup_conf
ALL=$AG_TMP/all-output		# everything authgatectl printed

# run ARG...: authgatectl with no input; sets RC, OUT, ERR.
run()
{
	"$AG_CTL" -c "$AG_CONF" "$@" >"$AG_TMP/out" 2>"$AG_TMP/err" \
	    </dev/null
	RC=$?
	OUT=$(cat "$AG_TMP/out")
	ERR=$(cat "$AG_TMP/err")
	cat "$AG_TMP/out" "$AG_TMP/err" >>"$ALL"
}

# runin INPUT ARG...: the same with INPUT and a newline on stdin.
runin()
{
	_in=$1
	shift
	printf '%s\n' "$_in" | "$AG_CTL" -c "$AG_CONF" "$@" \
	    >"$AG_TMP/out" 2>"$AG_TMP/err"
	RC=$?
	OUT=$(cat "$AG_TMP/out")
	ERR=$(cat "$AG_TMP/err")
	cat "$AG_TMP/out" "$AG_TMP/err" >>"$ALL"
}

mode() { stat -c %a "$1"; }

# first TEXT: its first line (a message before the usage).
first() { printf '%s\n' "$1" | head -n 1; }

# ---------------------------------------------------------------- init
run init
is "$RC" 0 "init exits 0"
like "$OUT" "created user_db $AG_TMP/users.db" "init names user_db"
like "$OUT" "created key_file $AG_TMP/signing.key \\(HS256\\)" \
    "init names the key and its algorithm"
ok "user_db exists" test -f "$AG_TMP/users.db"
ok "state_db exists" test -f "$AG_TMP/state.db"
is "$(mode "$AG_TMP/signing.key")" 600 "key file mode 0600"
is "$(mode "$AG_TMP/users.db")" 600 "user_db mode 0600"
run init
is "$RC" 0 "second init exits 0"
like "$OUT" "nothing to do" "second init creates nothing"

# ---------------------------------------------------------------- usage
run
is "$RC" 2 "no command: exit 2"
like "$ERR" "usage: authgatectl" "usage on stderr"
run frobnicate
is "$RC" 2 "unknown command: exit 2"
run user add
is "$RC" 2 "user add without NAME: exit 2"
run user add a b
is "$RC" 2 "user add with two names: exit 2"
run user add alice --bogus
is "$RC" 2 "unknown option: exit 2"
like "$ERR" "--bogus" "the option is named"
run token issue alice --ttl 0
is "$RC" 2 "token issue --ttl 0: exit 2"
run key generate --alg none
is "$RC" 2 "key generate --alg none: exit 2"
"$AG_CTL" -c "$AG_TMP/missing.conf" user list >/dev/null 2>"$AG_TMP/err"
is "$?" 1 "missing configuration: exit 1"
like "$(cat "$AG_TMP/err")" "missing.conf" "the file is named"
printf 'leeway = 1\nbogus = 2\n' >"$AG_TMP/bad.conf"
"$AG_CTL" -c "$AG_TMP/bad.conf" user list >/dev/null 2>"$AG_TMP/err"
is "$?" 1 "bad configuration: exit 1"
like "$(cat "$AG_TMP/err")" "bad.conf:2: unknown key" "file:line: reason"

# ---------------------------------------------------------------- users
runin 'Alice-pw-1' user add alice --scope "read  write read" \
    --password-stdin
is "$RC" 0 "user add alice"
like "$OUT" "added user alice" "user add says so"
runin 'other' user add alice --password-stdin
is "$RC" 1 "user add of an existing user: exit 1"
like "$ERR" "alice.*already exists" "names the user"
runin 'pw' user add 'bad:name' --password-stdin
is "$RC" 1 "user name with ':' refused"
runin '' user add bob --password-stdin
is "$RC" 1 "empty password refused"
long=$(head -c 1025 /dev/zero | tr '\0' x)
runin "$long" user add bob --password-stdin
is "$RC" 1 "password over 1024 bytes refused"
like "$ERR" "longer than 1024" "says why"
runin 'pw' user add bob --scope 'a"b' --password-stdin
is "$RC" 1 "scope with '\"' refused"
printf 'Bob-pw\r\n' | "$AG_CTL" -c "$AG_CONF" user add bob \
    --password-stdin >/dev/null 2>&1
is "$?" 0 "password line with CRLF accepted"
if command -v setsid >/dev/null 2>&1; then
	setsid -w "$AG_CTL" -c "$AG_CONF" user add carl </dev/null \
	    >"$AG_TMP/out" 2>"$AG_TMP/err"
	is "$?" 1 "no terminal and no --password-stdin: exit 1"
	like "$(cat "$AG_TMP/err")" "password-stdin" "points to --password-stdin"
else
	skip 2 "setsid not installed"
fi

run user list
is "$RC" 0 "user list"
is "$OUT" "alice read write
bob" "user list: sorted names and normalised scopes"

run user show alice
is "$RC" 0 "user show"
like "$OUT" "^name: alice$" "show: name"
like "$OUT" "^scope: read write$" "show: scope"
like "$OUT" "^locked: no$" "show: not locked"
like "$OUT" "^hash: scrypt$" "show: scheme only"
like "$OUT" "^created: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$" \
    "show: created in ISO 8601"
like "$OUT" "^failures: 0$" "show: no failures"
run user show nobody
is "$RC" 1 "show unknown user: exit 1"
like "$ERR" "nobody: no such user" "names the user"

runin 'Alice-pw-2' user passwd alice --password-stdin
is "$RC" 0 "user passwd"
runin 'x' user passwd nobody --password-stdin
is "$RC" 1 "passwd of unknown user: exit 1"

# The terminal prompt: asked twice, no echo, a mismatch refused.
cat >"$AG_TMP/ttyask.py" <<'EOF'
import os, pty, select, signal, sys, time
def run(args, answers):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(args[0], args)
    out = b""
    end = time.time() + 20
    def read():
        if not select.select([fd], [], [], max(0, end - time.time()))[0]:
            return b""
        try:
            return os.read(fd, 1024)
        except OSError:
            return b""
    for a in answers:
        while not out.rstrip(b" ").endswith(b":") and time.time() < end:
            d = read()
            if not d:
                break
            out += d
        os.write(fd, a + b"\n")
        out += b"|"
    while time.time() < end:
        d = read()
        if not d:
            break
        out += d
    if time.time() >= end:
        os.kill(pid, signal.SIGKILL)
        out += b" TIMEOUT"
    _, st = os.waitpid(pid, 0)
    if not os.WIFEXITED(st):
        return 99
    sys.stdout.write(out.decode().replace("\r", "").replace("\n", " "))
    return os.WEXITSTATUS(st)
sys.exit(run(sys.argv[2:], sys.argv[1].encode().split(b",")))
EOF
if [ -x "$AG_PY" ]; then
	OUT=$("$AG_PY" "$AG_TMP/ttyask.py" 'Tty-pw-1,Tty-pw-1' "$AG_CTL" \
	    -c "$AG_CONF" user add tty1 2>&1)
	is "$?" 0 "password asked twice on the terminal"
	unlike "$OUT" "Tty-pw" "the password is not echoed"
	echo "$OUT" >>"$ALL"
	OUT=$("$AG_PY" "$AG_TMP/ttyask.py" 'Tty-pw-1,Tty-pw-2' "$AG_CTL" \
	    -c "$AG_CONF" user add tty2 2>&1)
	is "$?" 1 "two different passwords refused"
	like "$OUT" "differ" "says they differ"
	"$AG_CTL" -c "$AG_CONF" user del tty1 >/dev/null 2>&1
else
	skip 4 "$AG_PY not installed"
fi

# ---------------------------------------------------------------- tokens
run token issue alice
is "$RC" 0 "token issue"
TOK=$OUT
like "$TOK" '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' \
    "a compact JWS"
run token verify "$TOK"
is "$RC" 0 "token verify"
like "$OUT" '"sub":"alice"' "claims: sub"
like "$OUT" '"scope":"read write"' "claims: all the user's scopes"
like "$OUT" '"iss":"authgate"' "claims: iss"
like "$OUT" '"client_id":"authgatectl"' "claims: client_id"
runin "$TOK" token verify
is "$RC" 0 "token verify from stdin"
run token issue alice --scope read --ttl 60
is "$RC" 0 "token issue with a narrower scope"
run token verify "$OUT"
like "$OUT" '"scope":"read"' "narrower scope in the token"
run token issue alice --scope "read admin"
is "$RC" 1 "scope beyond the user's: exit 1"
like "$ERR" "alice" "names the user"
run token issue nobody
is "$RC" 1 "token for unknown user: exit 1"
# The whole messages, and which check answers first: --ttl before the
# name, the name's form before the user_db.
run token issue nobody
is "$ERR" "authgatectl: user nobody: no such user" "  the whole message"
run token issue alice --ttl 0
is "$(first "$ERR")" \
    "authgatectl: --ttl 0: not a number of seconds from 1 to 31536000" \
    "token issue --ttl 0: the whole message"
run token issue 'a b' --ttl 1x
is "$RC" 2 "a bad --ttl is refused before a bad name: exit 2"
is "$(first "$ERR")" \
    "authgatectl: --ttl 1x: not a number of seconds from 1 to 31536000" \
    "  names the --ttl"
run token issue 'a b'
is "$RC" 1 "token for a name no user can have: exit 1"
is "$ERR" 'authgatectl: user "a b": not a valid user name' \
    "  the whole message"
run token issue alice --scope "read admin"
is "$ERR" "authgatectl: user alice: scope \"read admin\" is not within \
the user's scope \"read write\"" "scope beyond the user's: the whole message"
run token issue alice --ttl 31536000
is "$RC" 0 "token issue --ttl of CONF_TTL_MAX"
run token issue alice --ttl 31536001
is "$RC" 2 "token issue --ttl of CONF_TTL_MAX + 1: exit 2"
# A token that outlives the rotation rule keeps its key, in key_dir: a
# key_dir that is not there is said once, not twice.
sed "s|^key_dir *=.*|key_dir = $AG_TMP/no-such/keys|" "$AG_CONF" \
    >"$AG_TMP/nokeydir.conf"
grep -q "^key_dir = $AG_TMP/no-such/keys" "$AG_TMP/nokeydir.conf" ||
    echo "key_dir = $AG_TMP/no-such/keys" >>"$AG_TMP/nokeydir.conf"
"$AG_CTL" -c "$AG_TMP/nokeydir.conf" token issue alice --ttl 31536000 \
    >/dev/null 2>"$AG_TMP/err"
RC=$?
is "$RC" 1 "token issue, key_dir missing: exit 1"
is "$(cat "$AG_TMP/err")" \
    "authgatectl: $AG_TMP/no-such/keys: No such file or directory" \
    "  the whole message, naming key_dir once"
# token revoke --ttl takes the same rule and message as token issue's.
run token revoke --jti some-jti --ttl 0
is "$RC" 2 "token revoke --ttl 0: exit 2"
is "$(printf '%s\n' "$ERR" | head -n 1)" \
    "authgatectl: --ttl 0: not a number of seconds from 1 to 31536000" \
    "  the message of token issue's --ttl"
# Change the first character of the signature to a different one.
case ${TOK##*.} in
A*)	BAD=${TOK%.*}.B${TOK##*.A} ;;
*)	BAD=${TOK%.*}.A$(printf '%s' "${TOK##*.}" | cut -c2-) ;;
esac
isnt "$BAD" "$TOK" "tampered token differs"
run token verify "$BAD"
is "$RC" 1 "tampered token: exit 1"
like "$ERR" "invalid" "says invalid"
run token verify not-a-token
is "$RC" 1 "garbage: exit 1"

run user lock alice
is "$RC" 0 "user lock"
run user show alice
like "$OUT" "^locked: yes$" "show: locked"
run token issue alice
is "$RC" 1 "no token for a locked user"
like "$ERR" "alice: locked" "says locked"
is "$ERR" "authgatectl: user alice: locked" "  the whole message"
run user unlock alice
is "$RC" 0 "user unlock"
run user show alice
like "$OUT" "^locked: no$" "show: unlocked"

run user del bob
is "$RC" 0 "user del"
run user del bob
is "$RC" 1 "user del of a deleted user: exit 1"
like "$ERR" "bob" "names the user"

# ---------------------------------------------------------------- clients
run client add web
is "$RC" 0 "client add (confidential, secret made)"
SECRET=$OUT
like "$SECRET" '^[A-Za-z0-9_-]{43}$' "secret printed once on stdout"
run client add spa --public
is "$RC" 0 "client add --public"
is "$OUT" "" "no secret for a public client"
runin 'cli-secret-1' client add cli --secret-stdin
is "$RC" 0 "client add --secret-stdin"
is "$OUT" "" "a given secret is not echoed"
run client add web
is "$RC" 1 "client add existing: exit 1"
like "$ERR" "web" "names the client"
run client add x --public --secret-stdin
is "$RC" 2 "--public with --secret-stdin: exit 2"
run client list
is "$OUT" "cli confidential
spa public
web confidential" "client list"
run client show web
like "$OUT" "^type: confidential$" "client show"
unlike "$OUT" "$SECRET" "client show does not show the secret"
run client del web
is "$RC" 0 "client del"
run client show web
is "$RC" 1 "client show of a deleted client: exit 1"
run user list
unlike "$OUT" "cli|spa" "clients are not listed as users"
run client add pkce --public --grant authorization_code --grant \
    refresh_token --redirect-uri https://app.example/cb \
    --redirect-uri=http://127.0.0.1:8080/cb --scope "read  write"
is "$RC" 0 "client add with grants, redirect URIs and scope"
run client show pkce
like "$OUT" "^grants: refresh_token authorization_code$" "show: grants"
like "$OUT" "^scope: read write$" "show: scope"
like "$OUT" "^redirect_uri: http://127.0.0.1:8080/cb$" "show: redirect URIs"
run client show spa
like "$OUT" "^grants: password refresh_token$" \
    "a client without --grant: password and refresh_token"
run client add m2m --public --grant client_credentials
is "$RC" 1 "client_credentials for a public client refused"
like "$ERR" "confidential" "  says why"
run client add m2m --grant authorization_code
is "$RC" 1 "authorization_code without a redirect URI refused"
run client add m2m --grant authorization_code --redirect-uri http://evil.example/cb
is "$RC" 1 "http to a host that is not loopback refused"
like "$ERR" "loopback" "  says why"
run client add m2m --grant implicit
is "$RC" 1 "an unknown grant refused"
run client add alice --grant client_credentials
is "$RC" 1 "client_credentials for a client named like a user refused"
run client add m2m --grant client_credentials --scope "api:read"
is "$RC" 0 "client add --grant client_credentials"
# The whole messages of client add, and which check answers first: the
# options, the id's form, an existing client, the registration, then a
# user of the same name.
run client add web2
is "$ERR" "authgatectl: added confidential client web2; its secret, \
printed above, is not shown again" "client add: the whole report"
run client add spa2 --public
is "$ERR" "authgatectl: added public client spa2" \
    "client add --public: the whole report"
runin 'cli-secret-2' client add cli2 --secret-stdin
is "$ERR" "authgatectl: added confidential client cli2" \
    "client add --secret-stdin: the whole report"
run client add 'a b' --public --secret-stdin
is "$RC" 2 "--public with --secret-stdin before a bad id: exit 2"
is "$(first "$ERR")" "authgatectl: a public client has no secret: \
--public and --secret-stdin exclude each other" "  the whole message"
run client add 'a b' --grant implicit
is "$RC" 1 "a bad id before a bad grant: exit 1"
is "$ERR" "authgatectl: client \"a b\": not a valid client id (1 to 128 \
bytes, no space, ':', ',' or control character)" "  the whole message"
run client add spa --grant implicit
is "$RC" 1 "an existing client before a bad grant: exit 1"
is "$ERR" "authgatectl: client spa: already exists" "  the whole message"
run client add m3 --grant implicit
is "$ERR" "authgatectl: client m3: unknown grant \"implicit\" (password, \
refresh_token, authorization_code, client_credentials)" \
    "an unknown grant: the whole message"
run client add alice --public --grant client_credentials
is "$RC" 1 "a public client_credentials client named like a user: exit 1"
is "$ERR" "authgatectl: client alice: client_credentials is for \
confidential clients only (RFC 6749 4.4)" "  the registration answers first"
run client add alice --grant client_credentials
is "$ERR" "authgatectl: client alice: a user has that name; \
client_credentials tokens would pass for hers" \
    "a client named like a user: the whole message"
run client show alice
is "$RC" 1 "  and no such client was stored"

# ---------------------------------------------------------------- import
if command -v htpasswd >/dev/null 2>&1; then
	{
		htpasswd -nbB -C 4 carol 'Carol-pw'
		htpasswd -nbs dave 'Dave-pw'
		htpasswd -nb5 erin 'Erin-pw'
	} | grep -v '^$' >"$AG_TMP/htpasswd"
	run user import "$AG_TMP/htpasswd"
	is "$RC" 0 "user import"
	like "$ERR" "htpasswd:2: dave: " "the unverifiable line is named"
	like "$ERR" "imported 2 users, skipped 1" "summary"
	run user list
	like "$OUT" "^carol$" "imported bcrypt user listed"
	like "$OUT" "^erin$" "imported sha512-crypt user listed"
	unlike "$OUT" "dave" "skipped user not imported"
	run user show carol
	like "$OUT" "^hash: bcrypt" "imported hash kept"
	run user import "$AG_TMP/nonexistent"
	is "$RC" 1 "import of a missing file: exit 1"
	like "$ERR" "nonexistent" "names the file"
else
	skip 10 "htpasswd (apache2-utils) not installed"
fi

# ---------------------------------------------------------------- keys
run key generate
is "$RC" 1 "key generate over an existing key: exit 1"
like "$ERR" "signing.key.*--force" "names the file, suggests --force"
run token issue alice --ttl 600
OLD=$OUT
run key rotate
is "$RC" 0 "key rotate"
is "$(mode "$AG_TMP/signing.key")" 600 "rotated key mode 0600"
run key list
is "$RC" 0 "key list"
like "$OUT" " HS256 signing " "lists the signing key"
like "$OUT" " HS256 retired " "lists the retired key"
run token verify "$OLD"
is "$RC" 0 "token of the retired key still verifies"
KID=$("$AG_CTL" -c "$AG_CONF" key list 2>/dev/null |
    awk '$3 == "retired" { print $1; exit }')
# A kid may start with '-' (base64url, 1 in 64): without -- it is taken
# for an option, and the message says what to do.
run key retire -Xq3notakid
is "$RC" 2 "key retire -Xq3notakid: an unknown option"
like "$ERR" "goes after --" "  the message says to put it after --"
# -- before it, as authgatectl(8) says
run key retire -- "$KID"
is "$RC" 0 "key retire"
run token verify "$OLD"
is "$RC" 1 "token of a removed key no longer verifies"
run key generate --force
is "$RC" 0 "key generate --force"
is "$(mode "$AG_TMP/signing.key")" 600 "new key mode 0600"

# ---------------------------------------------------------------- secrets
unlike "$(cat "$ALL")" '\$scrypt\$|\$2[aby]\$|\$6\$' "no hash was ever printed"
unlike "$(cat "$ALL")" 'Alice-pw|Bob-pw|Carol-pw|cli-secret-[12]|Tty-pw' \
    "no password was ever printed"

ag_done
