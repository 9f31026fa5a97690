/*
 * bare: the smallest useful libfcgi responder, the ceiling of the
 * FastCGI path for bench/run.  Every request gets the same short JSON
 * body, whatever the path.  It serves the way authgate does (worker
 * threads taking turns at FCGX_Accept_r on the socket given on standard
 * input), so that the difference between the two is authgate's own
 * work.  Threads: $BARE_THREADS, else like authgate's default, the
 * number of online CPUs, at most 8.
 *
 *	cc -O2 -o bare bare.c -lfcgi -pthread
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <fcgiapp.h>

#define BARE_THREADS_MAX	8

static pthread_mutex_t	 accept_lock = PTHREAD_MUTEX_INITIALIZER;

static const char	 answer[] = "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "\r\n"
    "{\"message\":\"Hello, authenticated user!\",\"sub\":\"alice\","
    "\"scope\":\"read\"}";

static void *
worker(void *arg)
{
	FCGX_Request	 fr;
	int		 rc;

	(void)arg;
	if (FCGX_InitRequest(&fr, 0, 0) != 0)
		return NULL;
	for (;;) {
		/*
		 * As in libfcgi's threaded example, one thread accepts at
		 * a time; but a thread still holding a connection the web
		 * server keeps open (FCGI_KEEP_CONN) reads its next request
		 * from it without the lock: waiting for the lock while a
		 * sibling blocks in accept(2) would stall that request
		 * until some new connection arrives.
		 */
		if (fr.ipcFd >= 0)
			rc = FCGX_Accept_r(&fr);
		else {
			if (pthread_mutex_lock(&accept_lock) != 0)
				break;
			rc = FCGX_Accept_r(&fr);
			(void)pthread_mutex_unlock(&accept_lock);
		}
		if (rc < 0)
			break;
		(void)FCGX_PutStr(answer, (int)sizeof(answer) - 1, fr.out);
		FCGX_Finish_r(&fr);
	}
	return NULL;
}

int
main(void)
{
	pthread_t	 tids[BARE_THREADS_MAX];
	const char	*s;
	long		 n, i, started = 0;

	if ((s = getenv("BARE_THREADS")) != NULL)
		n = strtol(s, NULL, 10);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > BARE_THREADS_MAX)
		n = BARE_THREADS_MAX;
	if (FCGX_Init() != 0)
		return 1;
	/* libfcgi only notes SIGTERM for later; the web server stopping
	 * us wants us gone. */
	(void)signal(SIGTERM, SIG_DFL);
	for (i = 0; i < n; i++)
		if (pthread_create(&tids[i], NULL, worker, NULL) == 0)
			started++;
	for (i = 0; i < started; i++)
		(void)pthread_join(tids[i], NULL);
	return started > 0 ? 0 : 1;
}
