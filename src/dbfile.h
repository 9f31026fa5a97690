/*
 * A GDBM file that many processes read while one at a time changes it,
 * record by record, and that Apache's own tools (mod_authn_dbm, htdbm)
 * read and write too.  The user database (store.c) is one.
 *
 * Readers open the file for one lookup under a shared flock, the lock
 * GDBM's own readers take.  Writers never lock the file readers open:
 * GDBM readers do not wait for a lock (they fail at once), so a writer
 * holding the file, for however short a time, would make Apache answer
 * 500 and htdbm -v fail.  Instead a writer changes a second copy,
 * "<db>.shadow", swaps the two names in one rename(2)
 * (RENAME_EXCHANGE), and then makes the same change to the copy that
 * is now the shadow: a reader opens either the old file or the new
 * one, each whole.  A write costs one record twice, whatever the size
 * of the file; the price is the disk space of the second copy.  See
 * dbfile.c for why it is safe.
 */
#ifndef DBFILE_H
#define DBFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <gdbm.h>

#include "authgate.h"

#define DBFILE_KEY_MAX		(AG_NAME_MAX + 16)	/* longest key */
#define DBFILE_VAL_MAX		4096	/* longest value read or written */
#define DBFILE_TX_MAX		2	/* records one update changes */

/* One update's changes, recorded so they can be made to both copies. */
struct dbtx {
	GDBM_FILE	 dbf;
	bool		 journal;	/* record for the second copy */
	size_t		 n;
	struct dbtx_rec {
		char	 key[DBFILE_KEY_MAX];
		char	 val[DBFILE_VAL_MAX];
		size_t	 vallen;
		bool	 del;
	}		 rec[DBFILE_TX_MAX];
};

typedef enum ag_err (*dbfile_edit_fn)(struct dbtx *, void *);

/* Value of key into buf; AG_ENOENT when absent. */
enum ag_err	 dbtx_fetch(struct dbtx *tx, const char *key, char *buf,
		    size_t bufsz, size_t *len);
/* Store (must_be_new: AG_EEXIST if present) or delete (AG_ENOENT if
 * absent) a record. */
enum ag_err	 dbtx_put(struct dbtx *tx, const char *key, const char *val,
		    size_t vallen, bool must_be_new);
enum ag_err	 dbtx_del(struct dbtx *tx, const char *key);

/*
 * Before writing through a writer's handle: disk space for what one
 * update may add to the file (a bucket split, a directory doubling),
 * allocated past its end without changing its size.  GDBM is not safe
 * against a write that fails half done (ENOSPC): a bucket written and
 * its header not leaves a file that no longer reads.  With the space
 * reserved, a full disk fails here, before anything is written
 * (AG_EUNAVAIL).  AG_OK where the file system cannot reserve.
 */
enum ag_err	 dbfile_reserve(GDBM_FILE dbf, const char *name);
/* Open db to read under a shared flock, released by gdbm_close(). */
enum ag_err	 dbfile_read_open(const char *db, GDBM_FILE *dbf);
/* Make db (empty) and its shadow if missing, mode 0600. */
enum ag_err	 dbfile_init(const char *db);
/* Change a few records: fn reads and writes through tx (at most
 * DBFILE_TX_MAX writes); its result is the result, and nothing is
 * written unless it is AG_OK. */
enum ag_err	 dbfile_update(const char *db, dbfile_edit_fn fn, void *arg);
/* Change many records (import): a new file made by copying db, let fn
 * edit it, renamed into place; the shadow is copied from it. */
enum ag_err	 dbfile_rewrite(const char *db, dbfile_edit_fn fn, void *arg);

#endif
