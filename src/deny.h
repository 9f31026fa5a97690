/*
 * The deny list: access tokens revoked before they expire, by jti, in
 * "<state_db>.revoked", shared by every process of a host.  See deny.c
 * for the format.  Writers hold the state_db lock (state_db.h);
 * readers take no lock and, when nothing changed, make no system call.
 */
#ifndef DENY_H
#define DENY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "authgate.h"

struct state;

/* A sorted record and the header: "JTI<pad> EXP\n", fixed width. */
#define DENY_EXP_DIGITS	20
#define DENY_REC_LEN	(AG_JTI_MAX + 1 + DENY_EXP_DIGITS + 1)
/* Lines appended since the last compaction before the next add
 * compacts: a reader parses them all once per change. */
#define DENY_TAIL_MAX	512
/* Sampled expiries that pace the pruning (see deny.c). */
#define DENY_PRUNE_SAMPLES 256

/* Deny the access token jti until exp; nothing is written when it is
 * denied that long already. */
enum ag_err	 state_deny_add(struct state *sdb, const char *jti,
		    int64_t exp);
/* True if jti is denied, or the list cannot tell (damaged).  Hot path:
 * no system call and no allocation when the list has not changed. */
bool		 state_deny_check(struct state *sdb, const char *jti);
/*
 * Drop the entries expired before now and merge the appended ones,
 * when due (or always, with force).  Takes the state_db lock; the
 * _locked form is for a caller that holds it, and only logs a failure:
 * pruning the list never stops anything else.
 */
enum ag_err	 state_deny_prune(struct state *sdb, time_t now,
		    bool force);
void		 state_deny_prune_locked(struct state *sdb, time_t now);

/*
 * Parsing of the list's bytes, which are untrusted (exposed for the
 * tests and the fuzz target).
 */
struct deny_head {
	size_t		 n;		/* sorted records after the header */
	int64_t		 prune_at;	/* compact when now passes it */
};

/* True if jti can be in the list: 1 to AG_JTI_MAX bytes of 0x21-0x7e. */
bool		 deny_jti_ok(const char *jti);
/*
 * The header of a file of len bytes starting at buf (at least
 * DENY_REC_LEN of them): 1 when valid, 0 when there is none (a list
 * of lines only, as older versions wrote), -1 when damaged.
 */
int		 deny_head_parse(const char *buf, size_t len,
		    struct deny_head *h);
/* One line "JTI EXP" (len bytes, no newline; spaces may pad). */
bool		 deny_line_parse(const char *line, size_t len,
		    char jti[AG_JTI_MAX + 1], int64_t *exp);
/*
 * Look jti (padded with spaces to AG_JTI_MAX in key) up among n sorted
 * records at recs: 1 found (*exp set), 0 not there, -1 a record on the
 * way is damaged, so the answer is unknown.
 */
int		 deny_sorted_find(const char *recs, size_t n,
		    const char key[AG_JTI_MAX], int64_t *exp);
/* key: jti padded with spaces to AG_JTI_MAX bytes (not terminated). */
void		 deny_key(const char *jti, char key[AG_JTI_MAX]);

#endif
