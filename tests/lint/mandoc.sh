#!/bin/sh
# The manual pages are clean mdoc: mandoc -Tlint at warning level says
# nothing about any of them.
top=${top_srcdir:-$(dirname "$0")/../..}
if ! command -v mandoc >/dev/null 2>&1; then
	echo "1..0 # SKIP mandoc not installed"
	exit 0
fi
n=0
fail=0
pages=$(ls "$top"/man/*.[1-9])
echo "1..$(echo "$pages" | wc -l)"
for page in $pages; do
	n=$((n + 1))
	out=$(mandoc -Tlint -W warning "$page" 2>&1)
	if [ -z "$out" ]; then
		echo "ok $n - $(basename "$page") is lint-clean"
	else
		echo "not ok $n - $(basename "$page") is lint-clean"
		echo "$out" | sed 's/^/# /'
		fail=1
	fi
done
exit $fail
