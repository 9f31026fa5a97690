/*
 * bare: the smallest useful libfcgi responder, the ceiling of the
 * FastCGI path for bench/run.  It answers what authgate answers alice
 * with scope read, byte for byte, without checking anything: the
 * authorizer role its two Variable- lines, a path ending in /auth the
 * user headers and "{}", anything else /protected's headers and JSON
 * body.  The web server then does the same work behind either (nginx
 * copies the user headers of /auth onto the guarded response).  It
 * serves the way authgate does (worker threads taking turns at
 * FCGX_Accept_r on the socket given on standard input), so that the
 * difference between the two is authgate's own work.  Threads:
 * $BARE_THREADS, else like authgate's default, the number of online
 * CPUs, at most 8.
 *
 *	cc -O2 -o bare bare.c -lfcgi -pthread
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fastcgi.h>
#include <fcgiapp.h>

#define BARE_THREADS_MAX	8

static pthread_mutex_t	 accept_lock = PTHREAD_MUTEX_INITIALIZER;

#define USER_HEADERS "Status: 200 OK\r\n" \
    "Content-Type: application/json\r\n" \
    "X-Auth-Request-User: alice\r\n" \
    "X-Auth-Request-Scope: read\r\n" \
    "Cache-Control: no-store\r\n" \
    "\r\n"

static const char	 protected_answer[] = USER_HEADERS
    "{\"message\":\"Hello, authenticated user!\",\"sub\":\"alice\","
    "\"scope\":\"read\"}";
static const char	 auth_answer[] = USER_HEADERS "{}";
static const char	 authorizer_answer[] = "Status: 200 OK\r\n"
    "Variable-REMOTE_USER: alice\r\n"
    "Variable-AUTHGATE_SCOPE: read\r\n"
    "\r\n";

/* authgate's answer to fr, as a string of len bytes. */
static const char *
answer(FCGX_Request *fr, int *len)
{
	const char	*sn;
	size_t		 n;

	if (fr->role == FCGI_AUTHORIZER) {
		*len = (int)sizeof(authorizer_answer) - 1;
		return authorizer_answer;
	}
	sn = FCGX_GetParam("SCRIPT_NAME", fr->envp);
	n = sn != NULL ? strlen(sn) : 0;
	if (n >= 5 && strcmp(sn + n - 5, "/auth") == 0) {
		*len = (int)sizeof(auth_answer) - 1;
		return auth_answer;
	}
	*len = (int)sizeof(protected_answer) - 1;
	return protected_answer;
}

static void *
worker(void *arg)
{
	FCGX_Request	 fr;
	const char	*a;
	int		 rc, len;

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
		a = answer(&fr, &len);
		(void)FCGX_PutStr(a, len, fr.out);
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
