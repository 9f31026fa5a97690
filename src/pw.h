/*
 * Password hashing.  New hashes: scrypt through OpenSSL's KDF, as PHC
 * strings $scrypt$ln=N,r=R,p=P$salt$hash (passlib's encoding), or a
 * crypt(3) scheme (bcrypt, yescrypt) when password_hash says so.
 * Verified: those, and $2y$/$2b$, $6$, $y$ through crypt_r(3).
 */
#ifndef PW_H
#define PW_H

#include <stdbool.h>
#include <stddef.h>

#include "authgate.h"

/*
 * Cost limits, for password_hash and for stored hashes alike (a crafted
 * hash must not make a login allocate gigabytes or run for minutes).
 */
#define PW_SCRYPT_LN_DEFAULT	14	/* see pw.c for the timings */
#define PW_SCRYPT_LN_MIN	1
#define PW_SCRYPT_LN_MAX	20
#define PW_SCRYPT_R_MAX		32
#define PW_SCRYPT_P_MAX		16
#define PW_SCRYPT_MEM_MAX	(256UL * 1024 * 1024)	/* bytes */
#define PW_SCRYPT_WORK_MAX	(1UL << 22)	/* N * r * p, ~2 s */
#define PW_SCRYPT_SALT_LEN	16	/* bytes, new hashes */
#define PW_SCRYPT_HASH_LEN	32	/* bytes, new hashes */
#define PW_BCRYPT_COST_DEFAULT	10
#define PW_BCRYPT_COST_MIN	4
#define PW_BCRYPT_COST_MAX	15
#define PW_YESCRYPT_COST_DEFAULT 5
#define PW_YESCRYPT_COST_MAX	9	/* 256 MiB */
#define PW_SHACRYPT_ROUNDS_MAX	1000000	/* $5$, $6$ rounds= */

/* Check a password_hash value ("scrypt", "scrypt:ln=15,r=8,p=1",
 * "bcrypt", "bcrypt:12", "yescrypt", "yescrypt:N");
 * why says what is wrong. */
enum ag_err	 pw_scheme_check(const char *spec, char *why, size_t whysz);
/* Hash password with the scheme spec names into out (NUL-terminated). */
enum ag_err	 pw_hash(const char *spec, const char *password,
		    size_t pwlen, char *out, size_t outsz);
/* True if password matches hash; comparison in constant time.  A hash
 * in an unknown form never matches. */
bool		 pw_verify(const char *hash, const char *password,
		    size_t pwlen);
/* Spend the time pw_verify spends on a hash of spec, for unknown users. */
void		 pw_dummy(const char *spec, const char *password,
		    size_t pwlen);
/*
 * pw_verify for a login, with its time made the same for every hash
 * that is not of spec's scheme and cost: a hash NULL (no such user) or
 * in a refused form costs one pw_dummy; a legacy hash that does not
 * match is drawn out to what pw_dummy costs.  So neither an unknown
 * name nor the age of a stored hash shows in how long a refusal takes.
 */
bool		 pw_check(const char *hash, const char *spec,
		    const char *password, size_t pwlen);
/* True if hash is not in the scheme and cost spec names. */
bool		 pw_needs_rehash(const char *hash, const char *spec);
/* True if pw_verify can check hashes of this form; else *why says why
 * not ("{SHA} is unsalted SHA-1", …).  For import. */
bool		 pw_supported(const char *hash, const char **why);

#endif
