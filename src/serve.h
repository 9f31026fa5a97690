/*
 * One request, from whoever carries it (FastCGI or CGI), through the
 * checks every endpoint shares to the endpoint and back; and the
 * process-wide application state (configuration, keyring), reloaded
 * when the key files change.  No FastCGI types here.
 */
#ifndef SERVE_H
#define SERVE_H

#include <stdbool.h>
#include <stddef.h>

#define SERVE_BODY_CEILING	(1024 * 1024)	/* max_body is capped here */
#define SERVE_RELOAD_SECONDS	1	/* key files checked at most this often */
#define SERVE_RETRY_SECONDS	5	/* a broken configuration retried */

struct serve_io {
	/* The CGI variables, "NAME=value", NULL-terminated. */
	char *const	*envp;
	/* Read up to n bytes of the body; the count read, 0 at the end,
	 * -1 on error. */
	long		 (*read)(void *arg, char *buf, size_t n);
	/* Write n bytes; 0 or -1. */
	int		 (*write)(void *arg, const char *buf, size_t n);
	void		*arg;
};

/*
 * Load the configuration (path from conf_path(opt)) and keyring.  A
 * failure is logged in one line and leaves the service answering 503
 * until a later retry succeeds: never exits.
 */
void		 serve_init(const char *opt);
/*
 * True when the keys in use are not the ones on disk: the last reload
 * failed (it is retried), or nothing loaded at all (503).  why, when
 * not NULL, receives the last failure.  For /health/ready.
 */
bool		 serve_reload_failed(char *why, size_t whysz);
/* Worker threads the configuration asks for (at least 1). */
long		 serve_threads(void);
/* Answer one request. */
void		 serve_request(const struct serve_io *io);
/* Free the state (before exit, for leak checkers). */
void		 serve_fini(void);

#endif
