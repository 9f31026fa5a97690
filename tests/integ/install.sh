#!/bin/sh
# Installing as README says: `make install` puts the sample
# configuration (only where none exists) and the web server and systemd
# files under $(sysconfdir)/authgate/ with this build's paths;
# authgatectl says what to do without a configuration file; `init
# --owner` hands the files to the service user and `authgate -t -u`
# checks as that user, while `-t` as root warns that it cannot tell.
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_tmpdir
chmod 755 "$AG_TMP"
ag_add_log "$AG_TMP/install.log"

# -- make install into a DESTDIR
D=$AG_TMP/dest
inst() {
	env -u MAKEFLAGS -u MFLAGS make -s -C "$top_builddir" install \
	    DESTDIR="$D" >>"$AG_TMP/install.log" 2>&1
}
ok "make install DESTDIR=..." inst
BIN=$(cd "$D" && find . -path '*/bin/authgate' -type f | sed 's|^\.||')
CONF=$(cd "$D" && find . -path '*/authgate/authgate.conf' -type f | sed 's|^\.||')
ETCDIR=${CONF%/authgate.conf}
is "$(ls "$D$ETCDIR" | tr '\n' ' ')" \
    "apache2 authgate.conf lighttpd logrotate.d nginx prometheus systemd " \
    "sample configuration and web server files in \$(sysconfdir)/authgate"
for f in lighttpd/10-authgate.conf apache2/authgate-proxy.conf \
    apache2/authgate-module.conf apache2/authgate.load \
    nginx/snippets/authgate.conf systemd/authgate.service \
    systemd/authgate-guard.service; do
	ok "installed $f" test -f "$D$ETCDIR/$f"
done
if [ -f "$top_builddir/mod_authgate.so" ]; then
	ok "mod_authgate.so installed into Apache's module directory" \
	    test -f "$D$(apxs -q LIBEXECDIR)/mod_authgate.so"
else
	pass "mod_authgate.so not built (no apxs)"
fi
ok "systemd unit runs the installed program ($BIN)" \
    grep -q "^ExecStart=$BIN\$" "$D$ETCDIR/systemd/authgate.service"
ok "systemd unit names the installed configuration" \
    grep -q "^Environment=AUTHGATE_CONF=$CONF\$" \
    "$D$ETCDIR/systemd/authgate.service"
ok "Apache file defaults to the installed program" \
    grep -q "Define AUTHGATE_BIN $BIN\$" "$D$ETCDIR/apache2/authgate.conf"
if [ "$BIN" != /usr/bin/authgate ]; then
	stale=$(grep -rlE '/usr/bin/authgate|(^|[^[:alnum:]_./-])/etc/authgate' \
	    "$D$ETCDIR")
	is "$stale" "" "no path of another prefix left in the installed files"
else
	pass "no path of another prefix left (prefix is /usr)"
fi
echo "# the administrator's" >>"$D$CONF"
ok "make install again" inst
ok "an existing authgate.conf is kept" \
    grep -q "^# the administrator's" "$D$CONF"
like "$(cat "$AG_TMP/install.log")" "kept $D$CONF" "make install says it kept it"

# -- no configuration file
out=$("$AG_CTL" -c "$AG_TMP/none.conf" init 2>&1)
is "$?" 1 "init without a configuration file: exit 1"
like "$out" "none.conf: no configuration file: copy the commented sample" \
    "init without a configuration file: says what to do"
out=$("$AG_BIN" -c "$AG_TMP/none.conf" -t 2>&1)
like "$out" "none.conf: no configuration file" "authgate -t says the same"

# -- ownership
if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	skip 9 "needs root and the user nobody"
	ag_done
fi
ag_setup_conf "user_db=$AG_TMP/data/users.db" \
    "state_db=$AG_TMP/data/state.db" "key_file=$AG_TMP/etc/signing.key"
chmod 644 "$AG_CONF"
mkdir -m 755 "$AG_TMP/etc"
ag_init
out=$("$AG_BIN" -c "$AG_CONF" -t 2>&1)
like "$out" "warning: checking as root.*authgate -t -u USER" \
    "authgate -t as root warns that root reads every file"
out=$("$AG_BIN" -c "$AG_CONF" -t -u nobody 2>&1)
is "$?" 1 "root-owned files: authgate -t -u nobody fails"
like "$out" "signing.key" "  and names the key"
owner() { ag_ctl init --owner nobody >"$AG_TMP/owner.log" 2>&1; }
ok "init --owner nobody" owner
is "$(stat -c %U "$AG_TMP/etc/signing.key" "$AG_TMP/data" \
    "$AG_TMP/data/users.db" "$AG_TMP/data/state.db" | sort -u)" nobody \
    "key, databases and their directory belong to nobody"
is "$(stat -c %U "$AG_TMP/etc")" root "the key's directory keeps its owner"
out=$("$AG_BIN" -c "$AG_CONF" -t -u nobody 2>&1)
like "$out" '^configuration ok$' "authgate -t -u nobody: configuration ok"
unlike "$out" 'warning' "  without a warning"
# A shared directory keeps its owner, its database files do not.
mkdir -m 1777 "$AG_TMP/shared"
ag_setup_conf "user_db=$AG_TMP/shared/users.db" \
    "state_db=$AG_TMP/shared/state.db" "key_file=$AG_TMP/etc/signing.key"
ag_ctl init --owner nobody >/dev/null
is "$(stat -c %U "$AG_TMP/shared"):$(stat -c %U "$AG_TMP/shared/users.db")" \
    root:nobody "a sticky directory keeps its owner, its databases do not"
ag_done
