/*
 * Apache htpasswd files: a line parser and the import behind
 * "authgatectl user import".
 *
 * Lines are read as mod_authn_file reads them: leading and trailing
 * blanks dropped, empty lines and lines starting with '#' ignored, the
 * user name up to the first ':', the hash up to the next ':' (anything
 * after it is ignored, as Apache does).  Unlike Apache, a NUL byte or
 * an over-long line is reported rather than silently cut.  The first
 * line of a user wins, as in Apache; later ones are reported.
 *
 * The import streams: lines are parsed while store_user_merge_each()
 * copies the database, so 100,000 users cost one copy and no more
 * memory than the names seen (for duplicates).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htpasswd.h"
#include "pw.h"
#include "store.h"

enum ag_err
htpasswd_parse_line(const char *line, size_t len, char name[AG_NAME_MAX + 1],
    char hash[AG_HASH_MAX + 1], const char **why)
{
	const char	*colon, *h, *end;
	size_t		 nlen, hlen;

	name[0] = hash[0] = '\0';
	*why = NULL;
	if (len > HTPASSWD_LINE_MAX) {
		*why = "line too long";
		return AG_ETOOBIG;
	}
	if (memchr(line, '\0', len) != NULL) {
		*why = "NUL byte in line";
		return AG_EINVAL;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
	    line[len - 1] == '\t'))
		len--;
	while (len > 0 && (line[0] == ' ' || line[0] == '\t')) {
		line++;
		len--;
	}
	if (len == 0 || line[0] == '#')
		return AG_ENOENT;
	if ((colon = memchr(line, ':', len)) == NULL) {
		*why = "no ':' after the user name";
		return AG_EINVAL;
	}
	nlen = (size_t)(colon - line);
	if (nlen == 0 || nlen > AG_NAME_MAX) {
		*why = nlen == 0 ? "empty user name" : "user name too long";
		return AG_EINVAL;
	}
	memcpy(name, line, nlen);
	name[nlen] = '\0';
	if (!store_name_ok(name)) {
		name[0] = '\0';
		*why = "invalid user name (UTF-8, no control bytes, "
		    "',' or space)";
		return AG_EINVAL;
	}
	h = colon + 1;
	end = line + len;
	hlen = (size_t)(end - h);
	if ((colon = memchr(h, ':', hlen)) != NULL)
		hlen = (size_t)(colon - h);
	if (hlen == 0) {
		*why = "empty hash";
		return AG_EINVAL;
	}
	if (hlen > AG_HASH_MAX) {
		*why = "hash too long";
		return AG_ETOOBIG;
	}
	memcpy(hash, h, hlen);
	hash[hlen] = '\0';
	return AG_OK;
}

/* The names seen, for duplicates: open addressing, FNV-1a. */
struct nameset {
	char	**slot;
	size_t	  cap, n;
};

static uint64_t
fnv1a(const char *s)
{
	uint64_t	 h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* 1 if added, 0 if already there, -1 out of memory. */
static int
nameset_add(struct nameset *ns, const char *name)
{
	char	**old, **nslot;
	size_t	  i, j, oldcap;

	if (ns->n * 2 >= ns->cap) {
		oldcap = ns->cap;
		old = ns->slot;
		ns->cap = oldcap ? oldcap * 2 : 1024;
		if ((nslot = calloc(ns->cap, sizeof(*nslot))) == NULL) {
			ns->cap = oldcap;
			return -1;
		}
		for (i = 0; i < oldcap; i++) {
			if (old[i] == NULL)
				continue;
			for (j = fnv1a(old[i]) & (ns->cap - 1);
			    nslot[j] != NULL; j = (j + 1) & (ns->cap - 1))
				;
			nslot[j] = old[i];
		}
		free(old);
		ns->slot = nslot;
	}
	for (j = fnv1a(name) & (ns->cap - 1); ns->slot[j] != NULL;
	    j = (j + 1) & (ns->cap - 1))
		if (strcmp(ns->slot[j], name) == 0)
			return 0;
	if ((ns->slot[j] = strdup(name)) == NULL)
		return -1;
	ns->n++;
	return 1;
}

static void
nameset_free(struct nameset *ns)
{
	size_t	 i;

	for (i = 0; i < ns->cap; i++)
		free(ns->slot[i]);
	free(ns->slot);
	ns->slot = NULL;
	ns->cap = ns->n = 0;
}

struct imp {
	FILE		*in;
	const char	*path;
	void		(*skipped)(const char *, size_t, const char *,
			    const char *, void *);
	void		(*progress)(size_t, void *);
	enum ag_err	(*ended)(const char *, int64_t, void *);
	void		*arg;
	size_t		 lineno, imported;
	struct nameset	 seen;
	bool		 failed;	/* read error or out of memory */
};

static void
skip(struct imp *im, const char *name, const char *why)
{
	if (im->skipped != NULL)
		im->skipped(im->path, im->lineno, name, why, im->arg);
}

/*
 * Read one line into buf (HTPASSWD_LINE_MAX + 1 bytes at least); a
 * longer line is consumed and reported by *len > HTPASSWD_LINE_MAX.
 * Returns false at the end of the file.
 */
static bool
read_line(FILE *in, char *buf, size_t bufsz, size_t *len)
{
	size_t	 n = 0;
	int	 ch;
	bool	 any = false;

	while ((ch = getc_unlocked(in)) != EOF) {
		any = true;
		if (ch == '\n')
			break;
		if (n < bufsz)
			buf[n] = (char)ch;
		if (n <= HTPASSWD_LINE_MAX)
			n++;
	}
	*len = n;
	return any;
}

static int
imp_next(struct user *u, void *arg)
{
	struct imp	*im = arg;
	char		 buf[HTPASSWD_LINE_MAX + 1];
	char		 name[AG_NAME_MAX + 1], hash[AG_HASH_MAX + 1];
	const char	*why;
	size_t		 len;
	enum ag_err	 e;
	int		 added;

	for (;;) {
		if (!read_line(im->in, buf, sizeof(buf), &len)) {
			if (ferror(im->in)) {
				im->failed = true;
				return -1;
			}
			if (im->progress != NULL)
				im->progress(im->lineno, im->arg);
			return 0;
		}
		im->lineno++;
		if (im->progress != NULL &&
		    im->lineno % HTPASSWD_PROGRESS == 0)
			im->progress(im->lineno, im->arg);
		if (len > HTPASSWD_LINE_MAX) {
			skip(im, NULL, "line too long");
			continue;
		}
		e = htpasswd_parse_line(buf, len, name, hash, &why);
		if (e == AG_ENOENT)
			continue;
		if (e != AG_OK) {
			skip(im, name[0] != '\0' ? name : NULL, why);
			continue;
		}
		if (!pw_supported(hash, &why)) {
			skip(im, name, why);
			continue;
		}
		if ((added = nameset_add(&im->seen, name)) < 0) {
			im->failed = true;
			return -1;
		}
		if (added == 0) {
			skip(im, name, "user listed again (first line kept)");
			continue;
		}
		memcpy(u->name, name, sizeof(u->name));
		memcpy(u->hash, hash, sizeof(u->hash));
		im->imported++;
		return 1;
	}
}

static enum ag_err
imp_ended(const char *name, int64_t gen, void *arg)
{
	struct imp	*im = arg;

	return im->ended != NULL ? im->ended(name, gen, im->arg) : AG_OK;
}

enum ag_err
htpasswd_import(struct store *user_db, FILE *in, const char *path,
    void (*skipped)(const char *, size_t, const char *, const char *, void *),
    void (*progress)(size_t, void *),
    enum ag_err (*ended)(const char *, int64_t, void *), void *arg,
    size_t *imported)
{
	struct imp	 im;
	enum ag_err	 e;

	*imported = 0;
	memset(&im, 0, sizeof(im));
	im.in = in;
	im.path = path;
	im.skipped = skipped;
	im.progress = progress;
	im.ended = ended;
	im.arg = arg;
	e = store_user_merge_each(user_db, imp_next, imp_ended, &im);
	nameset_free(&im.seen);
	if (e == AG_EINVAL && im.failed)
		e = ferror(in) ? AG_EUNAVAIL : AG_ENOMEM;
	if (e == AG_OK)
		*imported = im.imported;
	return e;
}
