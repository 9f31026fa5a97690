/*
 * Test helpers: the storage handle of a configuration (state.h) or of a
 * user_db path (store.h), made at its first use and kept, as the
 * application keeps one per file.  H_reset() and S_reset() free them,
 * so that the next use starts from the files alone.
 */
#ifndef TESTS_HANDLES_H
#define TESTS_HANDLES_H

#include <limits.h>
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/conf.h"
#include "../src/state.h"
#include "../src/store.h"

#define TH_MAX	16

static struct {
	const struct conf	*c;
	char			 db[PATH_MAX];
	struct state		*h;
} th_state[TH_MAX];

static struct {
	char			 path[PATH_MAX];
	struct store		*h;
} th_store[TH_MAX];

__attribute__((unused)) static void
H_reset(void)
{
	size_t	 i;

	for (i = 0; i < TH_MAX; i++) {
		state_free(th_state[i].h);
		memset(&th_state[i], 0, sizeof(th_state[i]));
	}
}

/* The handle of c, made anew when c now names another state_db. */
__attribute__((unused)) static struct state *
H(const struct conf *c)
{
	size_t	 i, free_slot = TH_MAX;

	for (i = 0; i < TH_MAX; i++) {
		if (th_state[i].h == NULL) {
			if (free_slot == TH_MAX)
				free_slot = i;
			continue;
		}
		if (th_state[i].c != c)
			continue;
		if (strcmp(th_state[i].db, c->state_db) == 0)
			return th_state[i].h;
		state_free(th_state[i].h);
		memset(&th_state[i], 0, sizeof(th_state[i]));
		free_slot = i;
		break;
	}
	if (free_slot == TH_MAX ||
	    (th_state[free_slot].h = state_new(c)) == NULL) {
		fprintf(stderr, "handles.h: no state handle\n");
		exit(1);
	}
	th_state[free_slot].c = c;
	(void)snprintf(th_state[free_slot].db, PATH_MAX, "%s", c->state_db);
	return th_state[free_slot].h;
}

__attribute__((unused)) static void
S_reset(void)
{
	size_t	 i;

	for (i = 0; i < TH_MAX; i++) {
		store_free(th_store[i].h);
		memset(&th_store[i], 0, sizeof(th_store[i]));
	}
}

/* The handle of the user_db at path. */
__attribute__((unused)) static struct store *
S(const char *path)
{
	size_t	 i;

	for (i = 0; i < TH_MAX && th_store[i].h != NULL; i++)
		if (strcmp(th_store[i].path, path) == 0)
			return th_store[i].h;
	if (i == TH_MAX || (th_store[i].h = store_new(path)) == NULL) {
		fprintf(stderr, "handles.h: no store handle\n");
		exit(1);
	}
	(void)snprintf(th_store[i].path, PATH_MAX, "%s", path);
	return th_store[i].h;
}

/* The records of the GDBM file db whose key starts with prefix; -1 if
 * it cannot be read.  Read without the lock: the tests' own files. */
static inline int
th_count_prefix(const char *db, const char *prefix)
{
	GDBM_FILE	 dbf;
	datum		 k, nk;
	int		 n = 0;

	if ((dbf = gdbm_open(db, 0, GDBM_READER | GDBM_NOLOCK, 0,
	    NULL)) == NULL)
		return -1;
	for (k = gdbm_firstkey(dbf); k.dptr != NULL; k = nk) {
		if ((size_t)k.dsize >= strlen(prefix) &&
		    memcmp(k.dptr, prefix, strlen(prefix)) == 0)
			n++;
		nk = gdbm_nextkey(dbf, k);
		free(k.dptr);
	}
	gdbm_close(dbf);
	return n;
}

/* The same for the state_db of the test's configuration cf. */
#define TH_COUNT(prefix)	th_count_prefix(cf.state_db, (prefix))

#endif
