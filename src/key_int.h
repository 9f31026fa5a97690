/*
 * What the key modules share (key.c, key_jwk.c, key_ring.c, key_sign.c,
 * key_admin.c) and nothing else includes: struct key and struct
 * keyring, the limits and file names of key_dir, and the helpers more
 * than one of them uses.  The interface is key.h.
 */
#ifndef KEY_INT_H
#define KEY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "b64.h"
#include "hmac.h"
#include "key.h"

#define KEY_RSA_MIN	2048		/* bits */
#define KEY_RSA_MAX	(KEY_SIG_MAX * 8)
#define KEY_JSON_DEPTH	8		/* {"keys":[{...}]} needs 3 */
#define KEY_MEMBER_MAX	B64_ENCLEN(KEY_SIG_MAX)	/* base64url of n */
#define KEY_P256_LEN	32		/* bytes of a P-256 scalar */
#define KEY_HS256_GEN	32		/* random bytes of a new secret */
#define KEY_NEXT_NAME	"next.key"
#define KEY_UNTIL_SUFFIX ".until"	/* key_dir/<kid>.until: see key.h */
#define KEY_UNTIL_MAX	32		/* bytes of a .until file */
/* Files of a kind key_dir may hold when loaded; key rotate, which
 * removes the expired ones, reads up to KEY_DIR_SCAN_MAX. */
#define KEY_DIR_LOAD_MAX (4 * KEYRING_MAX)
#define KEY_DIR_SCAN_MAX 4096

enum key_role_e {
	ROLE_SIGNING,
	ROLE_NEXT,
	ROLE_RETIRED,
	ROLE_PUBLIC
};

struct key {
	enum ag_alg	 alg;
	enum key_role_e	 role;
	time_t		 mtime;
	char		 kid[KEY_KID_MAX + 1];
	/* Public JWK members, base64url: n and e, x and y, or x. */
	char		 m1[KEY_MEMBER_MAX + 1];
	char		 m2[KEY_MEMBER_MAX + 1];
	struct hmac_key	*mac;		/* HS256: the pads, hashed once */
	EVP_PKEY	*pkey;		/* the others */
	EVP_MD		*md;		/* SHA-256; NULL for EdDSA */
	bool		 priv;		/* pkey holds a private key */
};

struct keyring {
	struct key	*keys[KEYRING_MAX];
	size_t		 n;
	const struct key *signer;
};

/* The order n of the P-256 group (SEC 2), big-endian. */
static const unsigned char p256_n[KEY_P256_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
};

/* Members of a private JWK (RFC 7518 section 6). */
static const char *const jwk_private[] = {
	"d", "p", "q", "dp", "dq", "qi", "oth"
};

/* String equality without strcmp (banned here); nothing secret. */
static inline bool
streq(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);

	return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

static inline bool
has_suffix(const char *s, const char *suf)
{
	size_t	 ls = strlen(s), lf = strlen(suf);

	return ls > lf && streq(s + ls - lf, suf);
}

struct conf;
struct stat;

/* key.c: the key object and its files. */
void		 key_free(struct key *k);
enum ag_err	 key_new_secret(const unsigned char *secret, size_t len,
		    struct key **out, char *why, size_t whysz,
		    const char *name);
enum ag_err	 key_new_pkey(EVP_PKEY *pk, bool priv, struct key **out,
		    char *why, size_t whysz, const char *name);
enum ag_err	 key_read_file(const char *path, bool secret,
		    unsigned char **bufp, size_t *lenp, struct stat *stp,
		    char *why, size_t whysz);
enum ag_err	 key_load_file(const char *path, bool priv, struct key **out,
		    char *why, size_t whysz);
enum ag_err	 keyring_add(struct keyring *kr, struct key *k, char *why,
		    size_t whysz);
enum ag_err	 keyring_add_file(struct keyring *kr, const char *path,
		    bool priv, enum key_role_e role, char *why, size_t whysz);

/* key_jwk.c */
enum ag_err	 key_jwks_parse(struct keyring *kr, const char *json,
		    size_t len, bool allow_secret, char *why, size_t whysz);

/* key_ring.c: the names and files of key_dir. */
enum ag_err	 key_dir_names(const char *dir, const char *suffix,
		    size_t max, char ***namesp, size_t *np, char *why,
		    size_t whysz);
void		 key_names_free(char **names, size_t n);
bool		 key_path_join(char *dst, size_t dstsz, const char *dir,
		    const char *name);
bool		 key_stem_path(char *dst, size_t dstsz, const char *dir,
		    const char *stem, const char *suffix);
bool		 key_stem(const char *name, char *stem, size_t stemsz);
time_t		 key_until_read(const char *dir, const char *kid);
time_t		 key_retired_end(const struct conf *c, const char *stem,
		    time_t mtime);

#endif /* KEY_INT_H */
