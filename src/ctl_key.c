/*
 * authgatectl key generate|rotate|list|retire.  The key files are
 * written by key.c (mode 0600, temporary file and rename); nothing here
 * reads or prints key material.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "ctl.h"
#include "key.h"

/* --alg A, or the configured algorithm. */
static bool
pick_alg(const struct conf *c, const char *name, enum ag_alg *alg)
{
	*alg = c->algorithm;
	if (name == NULL)
		return true;
	if (ag_alg_parse(name, alg) != 0) {
		ctl_err("--alg %s: not HS256, RS256, ES256 or EdDSA", name);
		return false;
	}
	return true;
}

static void
alg_note(const struct conf *c, enum ag_alg alg)
{
	if (alg != c->algorithm)
		fprintf(stderr, "authgatectl: note: the configuration says "
		    "algorithm = %s; set algorithm = %s to sign with this "
		    "key\n", ag_alg_name(c->algorithm), ag_alg_name(alg));
}

static int
key_gen(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	const char	*algname = NULL;
	char		*pos[1], why[AG_WHY_MAX];
	bool		 force = false;
	int		 npos;
	enum ag_alg	 alg;
	enum ag_err	 e;
	const struct ctl_opt opts[] = {
		{ "alg", &algname, NULL },
		{ "force", NULL, &force },
		{ NULL, NULL, NULL }
	};

	if (!ctl_args(argc, argv, opts, pos, 0, &npos))
		return ctl_usage();
	if (!pick_alg(c, algname, &alg))
		return ctl_usage();
	why[0] = '\0';
	if ((e = key_generate(alg, c->key_file, force, why, sizeof(why))) !=
	    AG_OK) {
		if (e == AG_EEXIST)
			ctl_err("%s: exists; use --force to replace it, or "
			    "key rotate", c->key_file);
		else
			ctl_err("%s: %s", c->key_file, why[0] != '\0' ? why :
			    ag_strerror(e));
		return CTL_FAIL;
	}
	printf("wrote %s key to %s\n", ag_alg_name(alg), c->key_file);
	alg_note(c, alg);
	return CTL_OK;
}

static void
dropped_cb(const char *kid, void *arg)
{
	(void)arg;
	printf("removed retired key %s: its tokens have all expired\n", kid);
}

static int
key_rot(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	const char	*algname = NULL;
	char		*pos[1], why[AG_WHY_MAX * 8];
	int		 npos;
	enum ag_alg	 alg;
	enum ag_err	 e;
	const struct ctl_opt opts[] = {
		{ "alg", &algname, NULL },
		{ NULL, NULL, NULL }
	};

	if (!ctl_args(argc, argv, opts, pos, 0, &npos))
		return ctl_usage();
	if (!pick_alg(c, algname, &alg))
		return ctl_usage();
	why[0] = '\0';
	if ((e = key_rotate(c, alg, dropped_cb, NULL, why, sizeof(why))) !=
	    AG_OK) {
		ctl_err("%s: %s", c->key_file, why[0] != '\0' ? why :
		    ag_strerror(e));
		return CTL_FAIL;
	}
	printf("rotated %s: new %s signing key; the old one verifies from "
	    "%s\n", c->key_file, ag_alg_name(alg), c->key_dir);
	alg_note(c, alg);
	return CTL_OK;
}

static void
list_cb(const char *kid, enum ag_alg alg, const char *role, time_t mtime,
    void *arg)
{
	char	 t[32];

	(void)arg;
	printf("%s %s %s %s\n", kid, ag_alg_name(alg) != NULL ?
	    ag_alg_name(alg) : "?", role, ctl_time((long long)mtime, t,
	    sizeof(t)));
}

static int
key_ls(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	char		*pos[1], why[AG_WHY_MAX];
	int		 npos;
	enum ag_err	 e;

	if (!ctl_args(argc, argv, NULL, pos, 0, &npos))
		return ctl_usage();
	why[0] = '\0';
	if ((e = key_list(c, list_cb, NULL, why, sizeof(why))) != AG_OK) {
		ctl_err("%s", why[0] != '\0' ? why : ag_strerror(e));
		return CTL_FAIL;
	}
	return CTL_OK;
}

static int
key_ret(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	char		*pos[1], why[AG_WHY_MAX];
	int		 npos;
	enum ag_err	 e;

	if (!ctl_args(argc, argv, NULL, pos, 1, &npos) || npos != 1)
		return ctl_usage();
	why[0] = '\0';
	if ((e = key_retire(c, pos[0], why, sizeof(why))) != AG_OK) {
		if (e == AG_ENOENT && why[0] == '\0')
			ctl_err("key %s: no such retired key in %s", pos[0],
			    c->key_dir);
		else
			ctl_err("key %s: %s", pos[0], why[0] != '\0' ? why :
			    ag_strerror(e));
		return CTL_FAIL;
	}
	printf("removed key %s\n", pos[0]);
	return CTL_OK;
}

int
ctl_key(struct ctl *x, int argc, char **argv)
{
	if (argc < 1)
		return ctl_usage();
	if (strcmp(argv[0], "generate") == 0)
		return key_gen(x, argc - 1, argv + 1);
	if (strcmp(argv[0], "rotate") == 0)
		return key_rot(x, argc - 1, argv + 1);
	if (strcmp(argv[0], "list") == 0)
		return key_ls(x, argc - 1, argv + 1);
	if (strcmp(argv[0], "retire") == 0)
		return key_ret(x, argc - 1, argv + 1);
	ctl_err("unknown command \"key %s\"", argv[0]);
	return ctl_usage();
}
