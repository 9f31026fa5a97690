/*
 * The FastCGI side: the listening socket, worker threads, and a clean
 * stop on SIGTERM.  The only module besides req.c that knows libfcgi.
 */
#ifndef FCGI_H
#define FCGI_H

#include <stdbool.h>

#define FCGI_BACKLOG	128	/* listen(2) backlog for -s */

/*
 * True if no FastCGI listening socket was given: not on standard
 * input, not by systemd (LISTEN_FDS), and no address (-s).
 */
bool	fcgi_is_cgi(const char *address);
/*
 * Serve FastCGI with nthreads workers on the socket given on standard
 * input, by systemd (LISTEN_FDS=1: descriptor 3) or opened at address
 * ("/path" or "host:port") when not NULL, until SIGTERM, SIGINT or
 * SIGUSR1; requests in flight are finished first.  Returns 0, or 1 if
 * the socket could not be set up.
 */
int	fcgi_run(const char *address, long nthreads);

#endif
