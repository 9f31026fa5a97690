#!/bin/sh
# The paths in etc/, the manual pages, README and doc/deploy.md are
# README's install (--prefix=/usr --sysconfdir=/etc --localstatedir=/var),
# the layout of the Debian package too; `make install` rewrites them for
# another prefix.  Every file of etc/ is installed (AG_ETC_FILES).
top=${top_srcdir:-$(dirname "$0")/../..}
n=0
fail=0
t() {	# t DESC COMMAND...: ok when COMMAND succeeds
	_d=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $_d"
	else
		echo "not ok $n - $_d"
		fail=1
	fi
}
echo "1..6"
cd "$top" || exit 1

docs="README.md SECURITY.md doc/deploy.md man/authgate.8 man/authgatectl.8
 man/authgate.conf.5 $(find etc -type f | sort)"
stale=$(grep -n '/usr/local' $docs)
t "no /usr/local path in etc/, man/, README, deploy.md" test -z "$stale"
[ -z "$stale" ] || echo "$stale" | sed 's/^/# /'

t "README configures --prefix=/usr --sysconfdir=/etc --localstatedir=/var" \
    grep -q -- '--prefix=/usr --sysconfdir=/etc --localstatedir=/var' README.md

# FILES of the three pages: the same paths, under /etc/authgate,
# /var/lib/authgate or /run/authgate.
files_of() {
	sed -n '/^\.Sh FILES/,/^\.Sh /p' "$1" |
	    sed -n 's/^\.It Pa \([^ ]*\).*/\1/p' | sort -u
}
bad=$(for p in man/authgate.8 man/authgatectl.8 man/authgate.conf.5; do
	files_of "$p" | grep -Ev '^/(etc/authgate|var/lib/authgate|run/authgate)(/|$)' |
	    sed "s|^|$p: |"
done)
t "FILES sections: only /etc/authgate, /var/lib/authgate, /run/authgate" \
    test -z "$bad"
[ -z "$bad" ] || echo "$bad" | sed 's/^/# /'
conf8=$(files_of man/authgate.8 | grep -E 'authgate.conf$|signing.key$|users.db$|state.db$')
confc=$(files_of man/authgatectl.8 | grep -E 'authgate.conf$|signing.key$|users.db$|state.db$')
conf5=$(files_of man/authgate.conf.5 | grep -E 'authgate.conf$|signing.key$|users.db$|state.db$')
t "FILES: authgate(8), authgatectl(8), authgate.conf(5) agree" \
    test -n "$conf8" -a "$conf8" = "$confc" -a "$conf8" = "$conf5"
[ "$conf8" = "$confc" ] && [ "$conf8" = "$conf5" ] ||
    printf '# authgate.8: %s\n# authgatectl.8: %s\n# authgate.conf.5: %s\n' \
    "$(echo $conf8)" "$(echo $confc)" "$(echo $conf5)"

# The program is /usr/bin/authgate wherever a file names it.
wrong=$(grep -nE '(/s?bin/|bin-path.*")authgate([^a-z._-]|$)' $docs |
    grep -v '/usr/bin/authgate' | grep -v 'var.authgate_bin')
t "the program is named /usr/bin/authgate" test -z "$wrong"
[ -z "$wrong" ] || echo "$wrong" | sed 's/^/# /'

missing=
for f in $(cd etc && find . -type f ! -name authgate.conf -o -type f -path './*/*' | sed 's|^\./||' | sort); do
	grep -q "^	$f" Makefile.am || missing="$missing $f"
done
t "every file of etc/ is in AG_ETC_FILES (make install)" test -z "$missing"
[ -z "$missing" ] || echo "# not installed:$missing"
exit $fail
