/*
 * mksession CONF USER: print a session cookie's value for USER, signed
 * with CONF's key and bound to USER's current account generation, as
 * /login would set it.  A test helper (tests/integ/session_guard.sh),
 * not installed: a person signs in through /login.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "../src/conf.h"
#include "../src/key.h"
#include "../src/session.h"
#include "../src/store.h"

int
main(int argc, char **argv)
{
	struct conf	 c;
	struct keyring	*kr = NULL;
	struct store	*st;
	struct user	 u;
	char		 why[AG_WHY_MAX], val[SESSION_VALUE_MAX + 1];
	enum ag_err	 e;

	if (argc != 3) {
		fprintf(stderr, "usage: mksession CONF USER\n");
		return 2;
	}
	conf_defaults(&c);
	if (conf_load(&c, argv[1], why, sizeof(why)) != AG_OK ||
	    keyring_load(&c, &kr, why, sizeof(why)) != AG_OK) {
		fprintf(stderr, "mksession: %s\n", why);
		return 1;
	}
	if ((st = store_new(c.user_db)) == NULL ||
	    (e = store_user_get(st, argv[2], &u)) != AG_OK) {
		fprintf(stderr, "mksession: user %s: not found\n", argv[2]);
		return 1;
	}
	e = session_issue(&c, kr, u.name, u.scope, u.gen, time(NULL), val,
	    sizeof(val), NULL);
	OPENSSL_cleanse(&u, sizeof(u));
	store_free(st);
	keyring_free(kr);
	if (e != AG_OK) {
		fprintf(stderr, "mksession: %s\n", ag_strerror(e));
		return 1;
	}
	printf("%s\n", val);
	return 0;
}
