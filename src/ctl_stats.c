/*
 * authgatectl stats: the pool's counters (metrics.c) for a person, read
 * from "<state_db>.metrics" without creating or changing it; and the
 * audit log's admin event for each command that changes something.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "conf.h"
#include "ctl.h"
#include "metrics.h"

/* The bucket bound under which q (0..1) of the n requests fell. */
static const char *
quantile(enum metrics_ep ep, uint64_t n, double q, char *buf, size_t bufsz)
{
	uint64_t	 cum = 0, want = (uint64_t)((double)n * q + 0.999);
	size_t		 b;

	for (b = 0; b < METRICS_BUCKETS; b++) {
		cum += metrics_get_bucket(ep, b);
		if (cum >= want) {
			uint64_t us = metrics_bound_us(b);

			if (us >= 1000)
				(void)snprintf(buf, bufsz, "<=%llu ms",
				    (unsigned long long)(us / 1000));
			else
				(void)snprintf(buf, bufsz, "<=%llu us",
				    (unsigned long long)us);
			return buf;
		}
	}
	return ">5 s";
}

static void
print_requests(void)
{
	char		 p50[32], p99[32];
	uint64_t	 n, sum;
	size_t		 e, i;
	bool		 any = false;

	printf("requests            code  count\n");
	for (e = 0; e < MEP__MAX; e++)
		for (i = 0; i <= METRICS_CODES; i++) {
			if ((n = metrics_get_code((enum metrics_ep)e, i)) == 0)
				continue;
			any = true;
			if (i == METRICS_CODES)
				printf("  %-16s other %llu\n",
				    metrics_ep_name((enum metrics_ep)e),
				    (unsigned long long)n);
			else
				printf("  %-16s %-5d %llu\n",
				    metrics_ep_name((enum metrics_ep)e),
				    metrics_code(i), (unsigned long long)n);
		}
	if (!any)
		printf("  (none yet)\n");
	printf("time taken          count     mean     p50        p99\n");
	for (e = 0; e < MEP__MAX; e++) {
		if ((n = metrics_get_count((enum metrics_ep)e)) == 0)
			continue;
		sum = metrics_get_sum_ns((enum metrics_ep)e);
		printf("  %-16s %-9llu %-8.3f %-10s %s\n",
		    metrics_ep_name((enum metrics_ep)e), (unsigned long long)n,
		    (double)sum / (double)n / 1e6,
		    quantile((enum metrics_ep)e, n, 0.5, p50, sizeof(p50)),
		    quantile((enum metrics_ep)e, n, 0.99, p99, sizeof(p99)));
	}
	printf("  (mean in ms; p50 and p99 as histogram bucket bounds)\n");
}

static void
print_counters(void)
{
	static const struct {
		const char		*what;
		enum metrics_ctr	 c;
	} rows[] = {
		{ "tokens issued, password grant", MC_ISSUED_PASSWORD },
		{ "tokens issued, refresh_token grant", MC_ISSUED_REFRESH },
		{ "tokens issued, authorization_code grant", MC_ISSUED_CODE },
		{ "tokens issued, client_credentials grant", MC_ISSUED_CLIENT },
		{ "login failures, credentials", MC_LOGINFAIL_CREDENTIALS },
		{ "login failures, locked", MC_LOGINFAIL_LOCKED },
		{ "tokens rejected, missing", MC_REJECT_MISSING },
		{ "tokens rejected, malformed", MC_REJECT_MALFORMED },
		{ "tokens rejected, signature", MC_REJECT_SIGNATURE },
		{ "tokens rejected, expired", MC_REJECT_EXPIRED },
		{ "tokens rejected, claims", MC_REJECT_CLAIMS },
		{ "tokens rejected, revoked", MC_REJECT_REVOKED },
		{ "tokens rejected, scope", MC_REJECT_SCOPE },
		{ "refresh tokens reused", MC_REFRESH_REUSE },
		{ "revoked, access tokens", MC_REVOKE_ACCESS },
		{ "revoked, refresh tokens", MC_REVOKE_REFRESH },
	};
	size_t	 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		printf("%-42s %llu\n", rows[i].what,
		    (unsigned long long)metrics_get(rows[i].c));
}

int
ctl_stats(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	char			 why[AG_WHY_MAX * 2];

	(void)argv;
	if (argc != 0)
		return ctl_usage();
	if (!metrics_open(c->state_db, false, why, sizeof(why))) {
		ctl_err("%s (no counters until authgate has served a "
		    "request)", why);
		return CTL_FAIL;
	}
	printf("counters of every authgate process using %s\n", c->state_db);
	print_requests();
	print_counters();
	metrics_close();
	return CTL_OK;
}

/* Options of the commands that take a value in the next word. */
static bool
takes_value(const char *opt)
{
	static const char *const valued[] = { "--scope", "--alg", "--ttl",
	    "--owner", "--jti", "--until" };
	size_t	 i;

	if (strchr(opt, '=') != NULL)
		return false;
	for (i = 0; i < sizeof(valued) / sizeof(valued[0]); i++)
		if (strcmp(opt, valued[i]) == 0)
			return true;
	return false;
}

/* The first positional argument after the command words, or NULL. */
static const char *
first_operand(int argc, char **argv)
{
	int	 i;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (strncmp(argv[i], "--", 2) == 0) {
			if (takes_value(argv[i]))
				i++;
			continue;
		}
		return argv[i];
	}
	return NULL;
}

void
ctl_audit(const struct conf *c, int argc, char **argv, int rc)
{
	static const char *const quiet[] = { "user list", "user show",
	    "client list", "client show", "token verify", "key list",
	    "stats" };
	struct audit_ev	 ev;
	char		 cmd[64];
	const char	*name;
	size_t		 i;

	if (argc < 1 || rc == CTL_USAGE)
		return;
	(void)snprintf(cmd, sizeof(cmd), "%s%s%.24s", argv[0],
	    argc > 1 && argv[1][0] != '-' ? " " : "",
	    argc > 1 && argv[1][0] != '-' ? argv[1] : "");
	for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		if (strcmp(cmd, quiet[i]) == 0)
			return;
	audit_init(c->audit_log);
	memset(&ev, 0, sizeof(ev));
	ev.event = "admin";
	ev.outcome = rc == CTL_OK ? "success" : "failure";
	ev.command = cmd;
	/* The operand names a user or client: never a token or a file
	 * that could be one (token revoke TOKEN, user import FILE). */
	name = first_operand(argc, argv);
	if (strcmp(argv[0], "user") == 0 && strcmp(cmd, "user import") != 0)
		ev.user = name;
	else if (strcmp(argv[0], "token") == 0 &&
	    strcmp(cmd, "token issue") == 0)
		ev.user = name;
	else if (strcmp(argv[0], "client") == 0)
		ev.client_id = name;
	audit_log(&ev);
}
