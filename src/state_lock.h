/*
 * The state_db writers' lock, for the modules that keep their own
 * files beside state_db (the deny list): one lock orders every writer
 * of the state, whichever file it writes.  Internal to libag.
 */
#ifndef STATE_LOCK_H
#define STATE_LOCK_H

#include <stdbool.h>

#include "authgate.h"

struct conf;

/* Lock state_db, exclusive or shared, waiting at most LOCK_WAIT_MS;
 * *fdp receives what st_unlock() releases.  AG_EUNAVAIL on failure. */
enum ag_err	 st_lock(const struct conf *c, bool excl, int *fdp);
/* Release what st_lock() took; fd -1 (nothing taken) is a no-op. */
void		 st_unlock(int fd);

#endif
