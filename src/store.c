/*
 * The user database: an Apache DBM user file on GDBM (see store.h).
 *
 * Record formats.  Users: key NAME, value
 *	HASH[:GROUPS[:ag1 locked=0 created=N changed=N]]
 * HASH is the password hash (no ':'), GROUPS the scopes separated by
 * ',', with the ':', ',' and '%' of a scope stored as %3A, %2C and %25
 * (scope_to_grp), so Apache's mod_authz_dbm reads "api:read" as the
 * group "api%3Aread".  The third field is ours: "ag1" versions it,
 * then space-separated key=value pairs; unknown keys are ignored so a later version can add
 * some.  A third field that does not start with "ag1" (htdbm -t writes
 * a free comment there) is ignored: locked=0 and times 0.
 * Clients: key "client:ID" (a user name never holds ':'), value
 *	HASH:SCOPES:ag1 public=0 created=N grants=N redirect_uri=URI...
 * with HASH empty and public=1 for a public client; SCOPES are the
 * client's registered scopes as a group list (as a user's), grants a
 * mask of store.h's CG_ bits, and each redirect_uri one registered URI
 * (printable, no space: store_redirect_ok).  A record without grants
 * was stored before they were registered: CLIENT_GRANTS_DEFAULT.  A
 * value that is not a number is allowed only for redirect_uri; other
 * unknown keys are skipped whatever their value.  (Versions before
 * grants refuse a record with redirect_uri: a downgrade leaves the
 * clients made for /authorize unreadable, the others as they were.)  Apache's
 * mod_authn_dbm cannot be made to accept "client:ID" as a Basic user,
 * since RFC 7617 user-ids never hold ':'.
 *
 * The file itself (dbfile.c): readers open it for each lookup under a
 * shared flock; writers change one record at a time, in a second copy
 * whose name they then swap with the file's, and once more in the copy
 * that is then the second, so readers (ours, Apache's mod_authn_dbm,
 * htdbm) never wait and never see a half-written record, and a write
 * costs the same at a million users as at a thousand.  Every change is
 * a read-modify-write under the writers' lock.  GDBM is opened without
 * a fatal function, so a damaged file gives an error (AG_EUNAVAIL),
 * never exit().
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gdbm.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "dbfile.h"
#include "fsutil.h"
#include "log.h"
#include "scope.h"
#include "store.h"
#include "utf8.h"

#define CLIENT_PREFIX		"client:"
#define CLIENT_PREFIX_LEN	7
#define REC_FIELDS_TAG		"ag1"
#define STORE_GEN_MIN		100000000000000000LL	/* 18 digits */
#define STORE_GEN_MAX		999999999999999999LL

/*
 * One read handle per process, kept between lookups under rd_mtx: an
 * open reads the header and the directory (128 KiB at a million users),
 * more than the lookup itself.  It is checked at each lookup, under the
 * shared flock, against the file's stamp when it was opened and the
 * file the name now leads to: authgatectl's writes replace the file
 * under the name and mark both copies with a precise mtime (dbfile.c),
 * so any change of ours shows; so does another program's, but for one
 * made within the same clock tick as the change before it, which a
 * coarse file clock cannot tell apart.
 */
struct store {
	char		 path[PATH_MAX];
	pthread_mutex_t	 rd_mtx;	/* guards the reader */
	GDBM_FILE	 dbf;		/* the reader, or NULL */
	struct fsu_stamp st;		/* the file's when opened */
	pthread_mutex_t	 log_mtx;
	bool		 said;		/* missing or damaged: said once */
};

struct store *
store_new(const char *path)
{
	struct store	*s;

	if (strlen(path) >= sizeof(s->path))
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	memcpy(s->path, path, strlen(path) + 1);
	if (pthread_mutex_init(&s->rd_mtx, NULL) != 0) {
		free(s);
		return NULL;
	}
	if (pthread_mutex_init(&s->log_mtx, NULL) != 0) {
		(void)pthread_mutex_destroy(&s->rd_mtx);
		free(s);
		return NULL;
	}
	return s;
}

const char *
store_path(const struct store *s)
{
	return s->path;
}

bool
store_name_ok(const char *name)
{
	const unsigned char	*s = (const unsigned char *)name;
	size_t			 i, len, n;
	uint32_t		 cp;

	if (name == NULL)
		return false;
	len = strnlen(name, AG_NAME_MAX + 1);
	if (len == 0 || len > AG_NAME_MAX)
		return false;
	for (i = 0; i < len; i += n) {
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0)
			return false;
		/* C0 and C1 controls, DEL, and the record separators */
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == ':' ||
		    cp == ',' || cp == ' ')
			return false;
	}
	return true;
}

/* A decimal of 1 to 18 digits, no leading zero. */
static bool
parse_i64(const char *s, size_t len, int64_t *v)
{
	int64_t	 n = 0;
	size_t	 i;

	if (len == 0 || len > 18 || (len > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (s[i] - '0');
	}
	*v = n;
	return true;
}

struct rec {
	const char	*hash, *grp, *ext;
	size_t		 hashlen, grplen, extlen;
	bool		 ours;		/* ext starts with "ag1" */
	bool		 locked, public_client;
	int64_t		 created, changed, gen;
	bool		 has_grants;
	int64_t		 grants;
	const char	*redir[CLIENT_REDIRECTS_MAX];
	size_t		 redirlen[CLIENT_REDIRECTS_MAX], nredir;
};

/* A "redirect_uri=URI" of a client record: kept as a view. */
static enum ag_err
rec_redirect(struct rec *r, const char *v, size_t len)
{
	if (r->nredir >= CLIENT_REDIRECTS_MAX || len == 0 ||
	    len > CLIENT_REDIRECT_MAX)
		return AG_EINVAL;
	r->redir[r->nredir] = v;
	r->redirlen[r->nredir++] = len;
	return AG_OK;
}

/* True for the keys of ours whose value is a number. */
static bool
rec_known(const char *k, size_t len)
{
	static const char *const nums[] = {
		"locked", "public", "created", "changed", "gen", "grants", NULL
	};
	size_t	 i;

	for (i = 0; nums[i] != NULL; i++)
		if (strlen(nums[i]) == len && memcmp(k, nums[i], len) == 0)
			return true;
	return false;
}

/* Our numeric key tok (klen bytes) with value v into r. */
static enum ag_err
rec_number(struct rec *r, const char *tok, size_t klen, int64_t v)
{
	if (klen == 6 && memcmp(tok, "grants", 6) == 0) {
		if (v > CG_ALL)
			return AG_EINVAL;
		r->has_grants = true;
		r->grants = v;
	} else if (klen == 6 && memcmp(tok, "locked", 6) == 0) {
		if (v > 1)
			return AG_EINVAL;
		r->locked = v == 1;
	} else if (klen == 6 && memcmp(tok, "public", 6) == 0) {
		if (v > 1)
			return AG_EINVAL;
		r->public_client = v == 1;
	} else if (klen == 7 && memcmp(tok, "created", 7) == 0)
		r->created = v;
	else if (klen == 7 && memcmp(tok, "changed", 7) == 0)
		r->changed = v;
	else if (klen == 3 && memcmp(tok, "gen", 3) == 0)
		r->gen = v;
	/* else: a key from a later version, ignored */
	return AG_OK;
}

/* One "key=value" token (toklen bytes at tok) of our fields into r. */
static enum ag_err
rec_field(struct rec *r, const char *tok, size_t toklen)
{
	const char	*eq;
	size_t		 klen;
	int64_t		 v;

	if ((eq = memchr(tok, '=', toklen)) == NULL)
		return AG_EINVAL;
	klen = (size_t)(eq - tok);
	if (klen == 12 && memcmp(tok, "redirect_uri", 12) == 0)
		return rec_redirect(r, eq + 1, toklen - klen - 1);
	if (!parse_i64(eq + 1, toklen - klen - 1, &v)) {
		if (rec_known(tok, klen))
			return AG_EINVAL;
		return AG_OK;	/* a later version's, not a number */
	}
	return rec_number(r, tok, klen, v);
}

/* Our fields, the space-separated tokens from p to end, into r. */
static enum ag_err
rec_fields(struct rec *r, const char *p, const char *end)
{
	const char	*tok;
	size_t		 toklen;

	for (; p < end; p = tok + toklen) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		tok = p;
		toklen = 0;
		while (tok + toklen < end && tok[toklen] != ' ')
			toklen++;
		if (rec_field(r, tok, toklen) != AG_OK)
			return AG_EINVAL;
	}
	return AG_OK;
}

/* Split and check a stored value (untrusted bytes). */
static enum ag_err
rec_parse(const char *val, size_t len, struct rec *r)
{
	const char	*p, *end;

	memset(r, 0, sizeof(*r));
	if (val == NULL)
		return AG_EINVAL;
	if (len > STORE_RECORD_MAX)
		return AG_ETOOBIG;
	/* Some DBM tools store C strings: accept one final NUL. */
	if (len > 0 && val[len - 1] == '\0')
		len--;
	if (memchr(val, '\0', len) != NULL)
		return AG_EINVAL;
	end = val + len;
	r->hash = val;
	if ((p = memchr(val, ':', len)) == NULL) {
		r->hashlen = len;
		goto check;
	}
	r->hashlen = (size_t)(p - val);
	r->grp = p + 1;
	if ((p = memchr(r->grp, ':', (size_t)(end - r->grp))) == NULL) {
		r->grplen = (size_t)(end - r->grp);
		goto check;
	}
	r->grplen = (size_t)(p - r->grp);
	r->ext = p + 1;
	r->extlen = (size_t)(end - r->ext);
	if (r->extlen < 3 || memcmp(r->ext, REC_FIELDS_TAG, 3) != 0 ||
	    (r->extlen > 3 && r->ext[3] != ' '))
		goto check;	/* a foreign comment (htdbm -t) */
	r->ours = true;
	if (rec_fields(r, r->ext + 3, end) != AG_OK)
		return AG_EINVAL;
check:
	if (r->hashlen > AG_HASH_MAX)
		return AG_ETOOBIG;
	return AG_OK;
}

/*
 * The bytes of a scope-token that the group list cannot hold (':' ends
 * the field, ',' the group) are stored as %3A and %2C, and '%' as %25,
 * so that the encoding can be undone.  Any other '%' is a group's own
 * (a file made by htdbm).  A group is a scope-token once decoded.
 */
static int
grp_decode_pct(const char *p, size_t left)
{
	if (left < 3 || p[0] != '%')
		return -1;
	if (p[1] == '3' && (p[2] == 'A' || p[2] == 'a'))
		return ':';
	if (p[1] == '2' && (p[2] == 'C' || p[2] == 'c'))
		return ',';
	if (p[1] == '2' && p[2] == '5')
		return '%';
	return -1;
}

/* Comma-separated groups into a space-separated scope. */
static enum ag_err
grp_to_scope(const char *grp, size_t len, char *out, size_t outsz)
{
	size_t	 i, o = 0;
	bool	 sep = false;
	int	 c;

	out[0] = '\0';
	for (i = 0; i < len; i++) {
		if (grp[i] == ',') {
			sep = o > 0;
			continue;
		}
		if ((c = grp_decode_pct(grp + i, len - i)) >= 0)
			i += 2;
		else
			c = (unsigned char)grp[i];
		if (!scope_char((unsigned char)c))
			return AG_EINVAL;
		if (o + 1 + sep >= outsz)
			return AG_ETOOBIG;
		if (sep)
			out[o++] = ' ';
		sep = false;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return AG_OK;
}

/* A space-separated scope into comma-separated groups (outsz at least
 * STORE_GROUPS_MAX + 1). */
static enum ag_err
scope_to_grp(const char *scope, char *out, size_t outsz)
{
	size_t		 i, o = 0;
	bool		 sep = false;
	const char	*enc;
	unsigned char	 c;

	out[0] = '\0';
	for (i = 0; scope[i] != '\0'; i++) {
		c = (unsigned char)scope[i];
		if (c == ' ') {
			sep = o > 0;
			continue;
		}
		if (!scope_char(c))
			return AG_EINVAL;
		enc = c == ':' ? "%3A" : c == ',' ? "%2C" : c == '%' ? "%25" :
		    NULL;
		if (o + sep + (enc != NULL ? 3 : 1) >= outsz)
			return AG_ETOOBIG;
		if (sep)
			out[o++] = ',';
		sep = false;
		if (enc != NULL) {
			memcpy(out + o, enc, 3);
			o += 3;
		} else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return AG_OK;
}

static bool
hash_ok(const char *hash)
{
	size_t	 i, len;

	len = strnlen(hash, AG_HASH_MAX + 1);
	if (len > AG_HASH_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)hash[i] < 0x21 ||
		    (unsigned char)hash[i] > 0x7e || hash[i] == ':')
			return false;
	return true;
}

enum ag_err
store_user_decode(const char *val, size_t len, struct user *u)
{
	struct rec	 r;
	struct user	 nu;
	enum ag_err	 e;
	size_t		 i;

	if ((e = rec_parse(val, len, &r)) != AG_OK)
		return e;
	memset(&nu, 0, sizeof(nu));
	for (i = 0; i < r.hashlen; i++)
		if ((unsigned char)r.hash[i] < 0x21 ||
		    (unsigned char)r.hash[i] > 0x7e)
			return AG_EINVAL;
	memcpy(nu.hash, r.hash, r.hashlen);
	nu.hash[r.hashlen] = '\0';
	if ((e = grp_to_scope(r.grp != NULL ? r.grp : "", r.grplen, nu.scope,
	    sizeof(nu.scope))) != AG_OK)
		return e;
	nu.locked = r.locked;
	nu.created = r.created;
	nu.changed = r.changed;
	nu.gen = r.gen;
	/* name is the key's business: keep the caller's */
	memcpy(nu.name, u->name, sizeof(nu.name));
	*u = nu;
	return AG_OK;
}

enum ag_err
store_user_encode(const struct user *u, char *out, size_t outsz,
    size_t *outlen)
{
	char		 grp[STORE_GROUPS_MAX + 1];
	enum ag_err	 e;
	int		 n;

	if (outsz > 0)
		out[0] = '\0';
	*outlen = 0;
	if (!hash_ok(u->hash) || u->created < 0 || u->changed < 0 ||
	    u->gen < 0 || u->gen > STORE_GEN_MAX)
		return AG_EINVAL;
	if ((e = scope_to_grp(u->scope, grp, sizeof(grp))) != AG_OK)
		return e;
	n = snprintf(out, outsz, "%s:%s:" REC_FIELDS_TAG
	    " locked=%d created=%lld changed=%lld gen=%lld", u->hash, grp,
	    u->locked ? 1 : 0, (long long)u->created, (long long)u->changed,
	    (long long)u->gen);
	if (n < 0 || (size_t)n >= outsz) {
		if (outsz > 0)
			out[0] = '\0';
		return AG_ETOOBIG;
	}
	*outlen = (size_t)n;
	return AG_OK;
}

static const struct {
	unsigned int	 bit;
	const char	*name;
} grant_names[] = {
	{ CG_PASSWORD,	"password" },
	{ CG_REFRESH,	"refresh_token" },
	{ CG_CODE,	"authorization_code" },
	{ CG_CLIENT,	"client_credentials" },
};

unsigned int
store_grant_bit(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(grant_names) / sizeof(grant_names[0]); i++)
		if (strcmp(name, grant_names[i].name) == 0)
			return grant_names[i].bit;
	return 0;
}

const char *
store_grant_name(unsigned int bit)
{
	size_t	 i;

	for (i = 0; i < sizeof(grant_names) / sizeof(grant_names[0]); i++)
		if (bit == grant_names[i].bit)
			return grant_names[i].name;
	return NULL;
}

/* RFC 3986 characters, less '#' (no fragment: RFC 6749 3.1.2). */
static bool
uri_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("\"<>\\^`{|}#", c) == NULL;
}

bool
store_redirect_ok(const char *uri, const char **why)
{
	static const char *const loopback[] = {
		"127.0.0.1", "[::1]", "localhost", NULL
	};
	const char	*host, *end, *colon, *w = NULL;
	size_t		 i, len, hostlen;
	bool		 https;

	len = strnlen(uri, CLIENT_REDIRECT_MAX + 1);
	if (len == 0 || len > CLIENT_REDIRECT_MAX)
		w = "empty or too long";
	for (i = 0; w == NULL && i < len; i++)
		if (!uri_char((unsigned char)uri[i]))
			w = uri[i] == '#' ? "a fragment is not allowed" :
			    "a character that is not allowed in a URI";
	if (w != NULL)
		goto out;
	https = strncmp(uri, "https://", 8) == 0;
	if (!https && strncmp(uri, "http://", 7) != 0) {
		w = "not an absolute https:// or http:// URI";
		goto out;
	}
	host = uri + (https ? 8 : 7);
	end = host + strcspn(host, "/?");
	if (memchr(host, '@', (size_t)(end - host)) != NULL) {
		w = "user information is not allowed";
		goto out;
	}
	/* the port, after the last ':' not inside [v6] brackets */
	colon = NULL;
	for (i = 0; host + i < end; i++)
		if (host[i] == ':')
			colon = host + i;
		else if (host[i] == ']')
			colon = NULL;
	hostlen = (size_t)((colon != NULL ? colon : end) - host);
	if (hostlen == 0) {
		w = "no host";
		goto out;
	}
	if (colon != NULL && (end - colon < 2 || end - colon > 6 ||
	    strspn(colon + 1, "0123456789") != (size_t)(end - colon - 1))) {
		w = "a malformed port";
		goto out;
	}
	if (https)
		goto out;
	for (i = 0; loopback[i] != NULL; i++)
		if (strlen(loopback[i]) == hostlen &&
		    strncmp(host, loopback[i], hostlen) == 0)
			goto out;
	w = "http:// only to a loopback host (127.0.0.1, [::1], localhost)";
out:
	if (why != NULL)
		*why = w;
	return w == NULL;
}

enum ag_err
store_client_decode(const char *val, size_t len, struct client *cl)
{
	struct rec	 r;
	enum ag_err	 e;
	size_t		 i;

	if ((e = rec_parse(val, len, &r)) != AG_OK)
		return e;
	for (i = 0; i < r.hashlen; i++)
		if ((unsigned char)r.hash[i] < 0x21 ||
		    (unsigned char)r.hash[i] > 0x7e)
			return AG_EINVAL;
	memcpy(cl->hash, r.hash, r.hashlen);
	cl->hash[r.hashlen] = '\0';
	cl->public_client = r.public_client;
	cl->created = r.created;
	cl->grants = r.has_grants ? (unsigned int)r.grants :
	    CLIENT_GRANTS_DEFAULT;
	if ((e = grp_to_scope(r.grp != NULL ? r.grp : "", r.grplen,
	    cl->scope, sizeof(cl->scope))) != AG_OK)
		return e;
	cl->nredirect = r.nredir;
	for (i = 0; i < r.nredir; i++) {
		memcpy(cl->redirect[i], r.redir[i], r.redirlen[i]);
		cl->redirect[i][r.redirlen[i]] = '\0';
		if (!store_redirect_ok(cl->redirect[i], NULL))
			return AG_EINVAL;
	}
	/* A confidential client without a secret would take any secret. */
	if (!cl->public_client && r.hashlen == 0)
		return AG_EINVAL;
	return AG_OK;
}

enum ag_err
store_client_encode(const struct client *cl, char *out, size_t outsz,
    size_t *outlen)
{
	char		 grp[STORE_GROUPS_MAX + 1];
	size_t		 i, o;
	enum ag_err	 e;
	int		 n;

	*outlen = 0;
	if (!hash_ok(cl->hash) || cl->created < 0 ||
	    (!cl->public_client && cl->hash[0] == '\0') ||
	    (cl->grants & ~(unsigned int)CG_ALL) != 0 ||
	    cl->nredirect > CLIENT_REDIRECTS_MAX)
		return AG_EINVAL;
	for (i = 0; i < cl->nredirect; i++)
		if (!store_redirect_ok(cl->redirect[i], NULL))
			return AG_EINVAL;
	if ((e = scope_to_grp(cl->scope, grp, sizeof(grp))) != AG_OK)
		return e;
	n = snprintf(out, outsz, "%s:%s:" REC_FIELDS_TAG
	    " public=%d created=%lld grants=%u",
	    cl->public_client ? "" : cl->hash, grp, cl->public_client ? 1 : 0,
	    (long long)cl->created, cl->grants);
	if (n < 0 || (size_t)n >= outsz)
		return AG_ETOOBIG;
	for (o = (size_t)n, i = 0; i < cl->nredirect; i++, o += (size_t)n) {
		n = snprintf(out + o, outsz - o, " redirect_uri=%s",
		    cl->redirect[i]);
		if (n < 0 || (size_t)n >= outsz - o)
			return AG_ETOOBIG;
	}
	if (o > STORE_RECORD_MAX)
		return AG_ETOOBIG;
	*outlen = o;
	return AG_OK;
}

static void
rd_complain(struct store *s, const char *why)
{
	bool	 said;

	if (pthread_mutex_lock(&s->log_mtx) != 0)
		return;
	said = s->said;
	s->said = true;
	(void)pthread_mutex_unlock(&s->log_mtx);
	if (!said)
		log_msg("user_db %s: %s", s->path, why);
}

static void
rd_recovered(struct store *s)
{
	if (pthread_mutex_lock(&s->log_mtx) != 0)
		return;
	s->said = false;
	(void)pthread_mutex_unlock(&s->log_mtx);
}

/* Open db to read, under a shared flock (see dbfile.c). */
static enum ag_err
rd_open(struct store *s, GDBM_FILE *dbfp)
{
	if (dbfile_read_open(s->path, dbfp) == AG_OK)
		return AG_OK;
	rd_complain(s, errno == EWOULDBLOCK ?
	    "still locked by another program after 10 s" :
	    gdbm_errno != GDBM_NO_ERROR ? gdbm_strerror(gdbm_errno) :
	    strerror(errno));
	return AG_EUNAVAIL;
}

/* With s->rd_mtx held. */
static void
rd_drop(struct store *s)
{
	if (s->dbf != NULL)
		(void)gdbm_close(s->dbf);
	s->dbf = NULL;
}

/*
 * With s->rd_mtx held: s->dbf a handle on what s->path names now, its
 * shared flock taken (release with flock(LOCK_UN) on its gdbm_fdesc).
 */
static enum ag_err
rd_current(struct store *s)
{
	struct fsu_stamp	 now, named;
	int			 tries, fd;
	enum ag_err		 e;

	for (tries = 0; tries < 3; tries++) {
		if (s->dbf == NULL) {
			if ((e = rd_open(s, &s->dbf)) != AG_OK)
				return e;	/* rd_open flocked it */
			fsu_stamp_fd(gdbm_fdesc(s->dbf), &s->st);
			return AG_OK;
		}
		fd = gdbm_fdesc(s->dbf);
		if (!fsu_flock_wait(fd, LOCK_SH, 10000)) {
			rd_complain(s, "still locked by another program after "
			    "10 s");
			return AG_EUNAVAIL;
		}
		fsu_stamp_fd(fd, &now);
		fsu_stamp_path(s->path, &named);
		if (fsu_stamp_eq(&now, &s->st, true) && named.exists &&
		    named.dev == now.dev && named.ino == now.ino)
			return AG_OK;
		rd_drop(s);		/* changed or replaced: open anew */
	}
	rd_complain(s, "changing too fast to read");
	return AG_EUNAVAIL;
}

/* Fetch key's value into buf (STORE_RECORD_MAX bytes). */
static enum ag_err
rd_fetch(struct store *s, const char *key, size_t keylen, char *buf,
    size_t bufsz, size_t *len)
{
	datum		 k, v;
	enum ag_err	 e;

	*len = 0;
	if (keylen > INT_MAX)
		return AG_EINVAL;
	if (pthread_mutex_lock(&s->rd_mtx) != 0)
		return AG_EUNAVAIL;
	if ((e = rd_current(s)) != AG_OK)
		goto out;
	k.dptr = (char *)key;
	k.dsize = (int)keylen;
	v = gdbm_fetch(s->dbf, k);
	if (v.dptr == NULL) {
		if (gdbm_last_errno(s->dbf) == GDBM_ITEM_NOT_FOUND)
			e = AG_ENOENT;
		else {
			rd_complain(s, gdbm_db_strerror(s->dbf));
			e = AG_EUNAVAIL;
		}
	} else if (v.dsize < 0 || (size_t)v.dsize > bufsz) {
		rd_complain(s, "record over the size limit");
		e = AG_EUNAVAIL;
	} else {
		memcpy(buf, v.dptr, (size_t)v.dsize);
		*len = (size_t)v.dsize;
	}
	free(v.dptr);
	(void)flock(gdbm_fdesc(s->dbf), LOCK_UN);
	if (e == AG_EUNAVAIL)
		rd_drop(s);
	else
		rd_recovered(s);
out:
	(void)pthread_mutex_unlock(&s->rd_mtx);
	return e;
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	rd_drop(s);
	(void)pthread_mutex_destroy(&s->rd_mtx);
	(void)pthread_mutex_destroy(&s->log_mtx);
	free(s);
}

enum ag_err
store_init(struct store *s)
{
	return dbfile_init(s->path);
}

struct put_arg {
	const struct user	*u;
	size_t			 n;
	bool			 must_be_new;
	bool			 merge;	/* keep scope, lock */
	int64_t			 now;
	/* merge: a user's generation ends (store_user_merge_each) */
	enum ag_err		(*ended)(const char *, int64_t, void *);
	void			*ended_arg;
};

static enum ag_err
put_users(struct dbtx *tx, void *arg)
{
	struct put_arg	*pa = arg;
	struct user	 u, cur;
	char		 buf[STORE_RECORD_MAX];
	size_t		 i, len;
	enum ag_err	 e;
	bool		 have;

	for (i = 0; i < pa->n; i++) {
		u = pa->u[i];
		if (!store_name_ok(u.name))
			return AG_EINVAL;
		e = dbtx_fetch(tx, u.name, buf, sizeof(buf), &len);
		if (e != AG_OK && e != AG_ENOENT)
			return e;
		memset(&cur, 0, sizeof(cur));
		have = e == AG_OK &&
		    store_user_decode(buf, len, &cur) == AG_OK;
		if (have && pa->merge) {
			memcpy(u.scope, cur.scope, sizeof(u.scope));
			u.locked = cur.locked;
			u.created = cur.created;
			/* a new password ends the account's refresh tokens
			 * and sessions */
			u.gen = strcmp(u.hash, cur.hash) == 0 ? cur.gen :
			    store_gen_new();
			if (u.gen != cur.gen && cur.gen != 0 &&
			    pa->ended != NULL && (e = pa->ended(u.name,
			    cur.gen, pa->ended_arg)) != AG_OK)
				return e;
		}
		if (u.gen == 0)
			u.gen = have && cur.gen != 0 ? cur.gen :
			    store_gen_new();
		if (u.created == 0)
			u.created = have && cur.created != 0 ? cur.created :
			    pa->now;
		if (u.changed == 0)
			u.changed = pa->now;
		if ((e = store_user_encode(&u, buf, sizeof(buf), &len)) !=
		    AG_OK)
			return e;
		if ((e = dbtx_put(tx, u.name, buf, len, pa->must_be_new)) !=
		    AG_OK)
			return e;
	}
	return AG_OK;
}

enum ag_err
store_user_put(struct store *s, const struct user *u, bool must_be_new)
{
	struct put_arg	 pa = { u, 1, must_be_new, false, time(NULL), NULL,
			    NULL };

	if (!store_name_ok(u->name))
		return AG_EINVAL;
	return dbfile_update(s->path, put_users, &pa);
}

enum ag_err
store_user_put_many(struct store *s, const struct user *u, size_t n)
{
	struct put_arg	 pa = { u, n, false, false, time(NULL), NULL, NULL };

	return dbfile_rewrite(s->path, put_users, &pa);
}

enum ag_err
store_user_merge_many(struct store *s, const struct user *u, size_t n)
{
	struct put_arg	 pa = { u, n, false, true, time(NULL), NULL, NULL };

	return dbfile_rewrite(s->path, put_users, &pa);
}

struct merge_arg {
	int		(*next)(struct user *, void *);
	enum ag_err	(*ended)(const char *, int64_t, void *);
	void		*arg;
	int64_t		 now;
};

static enum ag_err
merge_users(struct dbtx *tx, void *arg)
{
	struct merge_arg	*ma = arg;
	struct user		 u;
	struct put_arg		 pa = { &u, 1, false, true, ma->now, ma->ended,
				    ma->arg };
	enum ag_err		 e;
	int			 rc;

	for (;;) {
		memset(&u, 0, sizeof(u));
		if ((rc = ma->next(&u, ma->arg)) == 0)
			return AG_OK;
		if (rc < 0)
			return AG_EINVAL;
		if ((e = put_users(tx, &pa)) != AG_OK)
			return e;
	}
}

enum ag_err
store_user_merge_each(struct store *s, int (*next)(struct user *, void *),
    enum ag_err (*ended)(const char *, int64_t, void *), void *arg)
{
	struct merge_arg	 ma = { next, ended, arg, time(NULL) };

	return dbfile_rewrite(s->path, merge_users, &ma);
}

static enum ag_err
del_key(struct dbtx *tx, void *arg)
{
	return dbtx_del(tx, arg);
}

enum ag_err
store_user_del(struct store *s, const char *name)
{
	if (!store_name_ok(name))
		return AG_ENOENT;
	return dbfile_update(s->path, del_key, (void *)name);
}

struct delu_arg {
	const char	 *name;
	enum ag_err	(*fn)(const struct user *, void *);
	void		 *arg;
};

static enum ag_err
del_user(struct dbtx *tx, void *arg)
{
	struct delu_arg	*da = arg;
	struct user	 u;
	char		 buf[STORE_RECORD_MAX];
	size_t		 len;
	enum ag_err	 e;

	memset(&u, 0, sizeof(u));
	if ((e = dbtx_fetch(tx, da->name, buf, sizeof(buf), &len)) != AG_OK)
		return e;
	/* A damaged record may still be deleted: its name alone. */
	if (store_user_decode(buf, len, &u) != AG_OK)
		memset(&u, 0, sizeof(u));
	memcpy(u.name, da->name, strlen(da->name) + 1);
	if ((e = da->fn(&u, da->arg)) == AG_OK)
		e = dbtx_del(tx, da->name);
	OPENSSL_cleanse(&u, sizeof(u));
	OPENSSL_cleanse(buf, sizeof(buf));
	return e;
}

enum ag_err
store_user_del_with(struct store *s, const char *name,
    enum ag_err (*fn)(const struct user *, void *), void *arg)
{
	struct delu_arg	 da = { name, fn, arg };

	if (!store_name_ok(name))
		return AG_ENOENT;
	return dbfile_update(s->path, del_user, &da);
}

int64_t
store_gen_new(void)
{
	uint64_t	 r = 0;

	/* Without randomness, time and pid still tell accounts apart. */
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint64_t)time(NULL) * 1000003u + (uint64_t)getpid();
	return STORE_GEN_MIN +
	    (int64_t)(r % (uint64_t)(STORE_GEN_MAX - STORE_GEN_MIN + 1));
}

struct upd_arg {
	const char	 *name;
	enum ag_err	(*fn)(struct user *, void *);
	void		 *arg;
};

static enum ag_err
update_user(struct dbtx *tx, void *arg)
{
	struct upd_arg	*ua = arg;
	struct user	 u;
	char		 buf[STORE_RECORD_MAX];
	size_t		 len;
	enum ag_err	 e;

	memset(&u, 0, sizeof(u));
	if ((e = dbtx_fetch(tx, ua->name, buf, sizeof(buf), &len)) != AG_OK)
		return e;
	if ((e = store_user_decode(buf, len, &u)) != AG_OK) {
		log_msg("user_db: user \"%s\": damaged record", ua->name);
		e = AG_EUNAVAIL;
		goto out;
	}
	memcpy(u.name, ua->name, strlen(ua->name) + 1);
	if ((e = ua->fn(&u, ua->arg)) != AG_OK)
		goto out;
	if (u.gen == 0)
		u.gen = store_gen_new();
	if ((e = store_user_encode(&u, buf, sizeof(buf), &len)) == AG_OK)
		e = dbtx_put(tx, ua->name, buf, len, false);
out:
	OPENSSL_cleanse(&u, sizeof(u));
	OPENSSL_cleanse(buf, sizeof(buf));
	return e;
}

enum ag_err
store_user_update(struct store *s, const char *name,
    enum ag_err (*fn)(struct user *, void *), void *arg)
{
	struct upd_arg	 ua = { name, fn, arg };

	if (!store_name_ok(name))
		return AG_ENOENT;
	return dbfile_update(s->path, update_user, &ua);
}

struct rehash_arg {
	const char	*name, *old_hash, *new_hash;
};

/* Splice the new hash in front of the first ':' of the stored value. */
static enum ag_err
rehash_user(struct dbtx *tx, void *arg)
{
	struct rehash_arg	*ra = arg;
	char			 buf[STORE_RECORD_MAX];
	char			 nbuf[STORE_RECORD_MAX + AG_HASH_MAX];
	const char		*colon;
	size_t			 len, hlen, oldlen, newlen;
	enum ag_err		 e;

	if ((e = dbtx_fetch(tx, ra->name, buf, sizeof(buf), &len)) != AG_OK)
		return e;
	colon = memchr(buf, ':', len);
	hlen = colon != NULL ? (size_t)(colon - buf) : len;
	oldlen = strlen(ra->old_hash);
	newlen = strlen(ra->new_hash);
	if (hlen != oldlen || CRYPTO_memcmp(buf, ra->old_hash, hlen) != 0) {
		e = AG_EDENIED;		/* changed while we hashed */
		goto out;
	}
	memcpy(nbuf, ra->new_hash, newlen);
	memcpy(nbuf + newlen, buf + hlen, len - hlen);
	e = dbtx_put(tx, ra->name, nbuf, newlen + len - hlen, false);
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(nbuf, sizeof(nbuf));
	return e;
}

enum ag_err
store_user_rehash(struct store *s, const char *name, const char *old_hash,
    const char *new_hash)
{
	struct rehash_arg	 ra = { name, old_hash, new_hash };

	if (!store_name_ok(name))
		return AG_ENOENT;
	if (!hash_ok(new_hash) || new_hash[0] == '\0')
		return AG_EINVAL;
	return dbfile_update(s->path, rehash_user, &ra);
}

enum ag_err
store_user_get(struct store *s, const char *name, struct user *u)
{
	char		 buf[STORE_RECORD_MAX];
	size_t		 len;
	enum ag_err	 e;

	memset(u, 0, sizeof(*u));
	if (!store_name_ok(name))
		return AG_ENOENT;
	if ((e = rd_fetch(s, name, strlen(name), buf, sizeof(buf), &len)) !=
	    AG_OK)
		return e;
	if ((e = store_user_decode(buf, len, u)) != AG_OK) {
		memset(u, 0, sizeof(*u));
		log_msg("user_db %s: user \"%s\": damaged record: %s", s->path,
		    name, ag_strerror(e));
		return AG_EUNAVAIL;
	}
	memcpy(u->name, name, strlen(name) + 1);
	return AG_OK;
}

static enum ag_err
client_key(const char *id, char *key, size_t keysz)
{
	int	 n;

	if (!store_name_ok(id))
		return AG_ENOENT;
	n = snprintf(key, keysz, CLIENT_PREFIX "%s", id);
	if (n < 0 || (size_t)n >= keysz)
		return AG_EINVAL;
	return AG_OK;
}

enum ag_err
store_client_get(struct store *s, const char *id, struct client *cl)
{
	char		 key[CLIENT_PREFIX_LEN + AG_NAME_MAX + 1];
	char		 buf[STORE_RECORD_MAX];
	size_t		 len;
	enum ag_err	 e;

	memset(cl, 0, sizeof(*cl));
	if ((e = client_key(id, key, sizeof(key))) != AG_OK)
		return e;
	if ((e = rd_fetch(s, key, strlen(key), buf, sizeof(buf), &len)) !=
	    AG_OK)
		return e;
	if ((e = store_client_decode(buf, len, cl)) != AG_OK) {
		memset(cl, 0, sizeof(*cl));
		log_msg("user_db %s: client \"%s\": damaged record: %s", s->path,
		    id, ag_strerror(e));
		return AG_EUNAVAIL;
	}
	memcpy(cl->id, id, strlen(id) + 1);
	return AG_OK;
}

struct cput_arg {
	const struct client	*cl;
	bool			 must_be_new;
};

static enum ag_err
put_client(struct dbtx *tx, void *arg)
{
	struct cput_arg	*ca = arg;
	struct client	 cl = *ca->cl;
	char		 key[CLIENT_PREFIX_LEN + AG_NAME_MAX + 1];
	char		 buf[STORE_RECORD_MAX];
	size_t		 len;
	enum ag_err	 e;

	if (cl.created == 0)
		cl.created = time(NULL);
	if ((e = client_key(cl.id, key, sizeof(key))) != AG_OK ||
	    (e = store_client_encode(&cl, buf, sizeof(buf), &len)) != AG_OK)
		return e == AG_ENOENT ? AG_EINVAL : e;
	return dbtx_put(tx, key, buf, len, ca->must_be_new);
}

enum ag_err
store_client_put(struct store *s, const struct client *cl, bool must_be_new)
{
	struct cput_arg	 ca = { cl, must_be_new };

	if (!store_name_ok(cl->id))
		return AG_EINVAL;
	return dbfile_update(s->path, put_client, &ca);
}

enum ag_err
store_client_del(struct store *s, const char *id)
{
	char		 key[CLIENT_PREFIX_LEN + AG_NAME_MAX + 1];
	enum ag_err	 e;

	if ((e = client_key(id, key, sizeof(key))) != AG_OK)
		return e;
	return dbfile_update(s->path, del_key, key);
}

/*
 * Decode the record v of id, a client if clients, a user if not, and
 * pass it to cfn or ufn: what that returns, or 0 (go on) if damaged.
 */
static int
walk_record(const struct store *s, datum v, bool clients, const char *id,
    int (*ufn)(const struct user *, void *),
    int (*cfn)(const struct client *, void *), void *arg)
{
	struct user	 u;
	struct client	 cl;

	if (clients) {
		memset(&cl, 0, sizeof(cl));
		if (store_client_decode(v.dptr, (size_t)v.dsize, &cl) ==
		    AG_OK) {
			memcpy(cl.id, id, strlen(id) + 1);
			return cfn(&cl, arg);
		}
		log_msg("user_db %s: client \"%s\": damaged record",
		    s->path, id);
		return 0;
	}
	memset(&u, 0, sizeof(u));
	if (store_user_decode(v.dptr, (size_t)v.dsize, &u) == AG_OK) {
		memcpy(u.name, id, strlen(id) + 1);
		return ufn(&u, arg);
	}
	log_msg("user_db %s: user \"%s\": damaged record", s->path, id);
	return 0;
}

/*
 * Walk every record with a private read handle (fn may call back into
 * this module).  Records under keys that are not valid names, or that
 * do not decode, are logged and skipped.
 */
static enum ag_err
walk(struct store *s, bool clients,
    int (*ufn)(const struct user *, void *),
    int (*cfn)(const struct client *, void *), void *arg)
{
	GDBM_FILE	 dbf;
	datum		 k, nk, v;
	char		 name[CLIENT_PREFIX_LEN + AG_NAME_MAX + 1];
	const char	*id;
	enum ag_err	 e = AG_OK;
	bool		 isclient;
	int		 stop = 0;

	/* shared-locked: writers wait until the walk is done */
	if ((e = rd_open(s, &dbf)) != AG_OK)
		return e;
	for (k = gdbm_firstkey(dbf); k.dptr != NULL && stop == 0; k = nk) {
		if (k.dsize <= 0 || (size_t)k.dsize >= sizeof(name) ||
		    memchr(k.dptr, '\0', (size_t)k.dsize) != NULL)
			goto next;
		memcpy(name, k.dptr, (size_t)k.dsize);
		name[k.dsize] = '\0';
		isclient = strncmp(name, CLIENT_PREFIX,
		    CLIENT_PREFIX_LEN) == 0;
		if (isclient != clients)
			goto next;
		id = clients ? name + CLIENT_PREFIX_LEN : name;
		if (!store_name_ok(id)) {
			log_msg("user_db %s: skipping key \"%s\"", s->path, name);
			goto next;
		}
		if ((v = gdbm_fetch(dbf, k)).dptr == NULL) {
			e = AG_EUNAVAIL;
			free(k.dptr);
			break;
		}
		stop = walk_record(s, v, clients, id, ufn, cfn, arg);
		free(v.dptr);
next:
		nk = stop == 0 ? gdbm_nextkey(dbf, k) : (datum){ NULL, 0 };
		free(k.dptr);
	}
	if (e == AG_OK && stop == 0 &&
	    gdbm_last_errno(dbf) != GDBM_ITEM_NOT_FOUND &&
	    gdbm_last_errno(dbf) != GDBM_NO_ERROR) {
		log_msg("user_db %s: %s", s->path, gdbm_db_strerror(dbf));
		e = AG_EUNAVAIL;
	}
	(void)gdbm_close(dbf);
	return e;
}

enum ag_err
store_user_each(struct store *s, int (*fn)(const struct user *, void *),
    void *arg)
{
	return walk(s, false, fn, NULL, arg);
}

enum ag_err
store_client_each(struct store *s, int (*fn)(const struct client *, void *), void *arg)
{
	return walk(s, true, NULL, fn, arg);
}
