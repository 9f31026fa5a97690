#!/bin/sh
# vcache.sh with RS256 tokens: cached, and still refused when tampered
# with, expired, revoked or signed by a replaced key.
VCACHE_ALG=RS256
export VCACHE_ALG
. "$top_srcdir/tests/integ/vcache.sh"
