/*
 * FastCGI: worker threads accepting on one listening socket.
 *
 * Stopping.  libfcgi's FCGX_Accept_r blocks in accept(2), which no
 * flag wakes.  Closing or shutting down the socket would also stop
 * sibling processes sharing it (spawn-fcgi -F), and a signal could land
 * while the thread is already reading a request.  So a worker waits
 * in poll(2) on the socket and on a pipe that the main thread writes
 * when SIGTERM arrives; the socket is non-blocking, so FCGX_Accept_r
 * fails with EAGAIN when no connection is pending (none yet, or a
 * sibling took it first), and the worker goes back to poll(2).  A
 * request in flight is never interrupted: its thread looks at the pipe
 * only after answering.  The main thread then joins the workers and
 * exits 0.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "conf.h"
#include "fcgi.h"
#include "log.h"
#include "serve.h"

/* Bytes passed to libfcgi in one call: its counts are int. */
#define FCGI_IO_CHUNK	65536

static int		 listen_fd = 0;
static int		 wake[2] = { -1, -1 };
static atomic_int	 stopping;
static pthread_t	 main_tid;
static pthread_mutex_t	 accept_lock = PTHREAD_MUTEX_INITIALIZER;

/* systemd socket activation: LISTEN_PID is us and LISTEN_FDS is 1. */
static int
systemd_fd(void)
{
	const char	*pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char		*end;
	long		 p;

	if (pid == NULL || fds == NULL)
		return -1;
	errno = 0;
	p = strtol(pid, &end, 10);
	if (errno != 0 || *end != '\0' || p != (long)getpid())
		return -1;
	if (strcmp(fds, "1") != 0) {
		log_msg("LISTEN_FDS=%s: exactly one socket expected", fds);
		return -1;
	}
	return 3;
}

bool
fcgi_is_cgi(const char *address)
{
	if (address != NULL || systemd_fd() != -1)
		return false;
	return FCGX_IsCGI() != 0;
}

static long
fcgi_read(void *arg, char *buf, size_t n)
{
	FCGX_Request	*fr = arg;
	int		 want = n > FCGI_IO_CHUNK ? FCGI_IO_CHUNK : (int)n, got;

	got = FCGX_GetStr(buf, want, fr->in);
	if (got < 0)
		return -1;
	return got;
}

static int
fcgi_write(void *arg, const char *buf, size_t n)
{
	FCGX_Request	*fr = arg;

	while (n > 0) {
		int	 chunk = n > FCGI_IO_CHUNK ? FCGI_IO_CHUNK : (int)n;

		if (FCGX_PutStr(buf, chunk, fr->out) != chunk)
			return -1;
		buf += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

/*
 * Wait until fd is readable, or in error, or the stop pipe is written:
 * fd's revents, or 0 to stop.
 */
static short
wait_fd(int fd)
{
	struct pollfd	 pfd[2];

	for (;;) {
		if (atomic_load(&stopping))
			return 0;
		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = wake[0];
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_msg("poll: %s", strerror(errno));
			return 0;
		}
		if (pfd[1].revents != 0)
			return 0;
		if (pfd[0].revents != 0)
			return pfd[0].revents;
	}
}

/* Wait for a connection or the stop pipe; true when one is pending. */
static bool
wait_connection(void)
{
	short	 ev;

	while ((ev = wait_fd(listen_fd)) != 0) {
		if (ev & (POLLERR | POLLNVAL)) {
			log_msg("listening socket failed");
			return false;
		}
		if (ev & POLLIN)
			return true;
	}
	return false;
}

static void *
worker(void *arg)
{
	FCGX_Request	 fr;
	struct serve_io	 io;
	int		 rc;

	(void)arg;
	if (FCGX_InitRequest(&fr, listen_fd, 0) != 0) {
		log_msg("FCGX_InitRequest failed");
		return NULL;
	}
	io.read = fcgi_read;
	io.write = fcgi_write;
	io.arg = &fr;
	for (;;) {
		if (fr.ipcFd >= 0) {
			/* FCGI_KEEP_CONN: the next request comes on the
			 * connection kept open, not on the listening socket;
			 * data, EOF or an error there is FCGX_Accept_r's. */
			if (wait_fd(fr.ipcFd) == 0)
				break;
			rc = FCGX_Accept_r(&fr);
			if (rc == 0) {
				io.envp = fr.envp;
				serve_request(&io);
				FCGX_Finish_r(&fr);
			} else if (rc != -EAGAIN && rc != -EWOULDBLOCK &&
			    rc != -EINTR && rc != -ECONNABORTED)
				break;
			/* Else the peer closed it: back to accepting. */
			continue;
		}
		if (pthread_mutex_lock(&accept_lock) != 0)
			break;
		rc = -1;
		/* Under load a connection is usually waiting already: try
		 * to take it first, and poll only when there is none, a
		 * system call less a request. */
		while (!atomic_load(&stopping)) {
			rc = FCGX_Accept_r(&fr);
			if (rc == 0 || (rc != -EAGAIN && rc != -EWOULDBLOCK &&
			    rc != -EINTR && rc != -ECONNABORTED))
				break;
			if (!wait_connection()) {
				rc = -1;
				break;
			}
		}
		(void)pthread_mutex_unlock(&accept_lock);
		if (rc != 0) {
			if (!atomic_load(&stopping))
				log_msg("FCGX_Accept_r failed: %d", rc);
			break;
		}
		io.envp = fr.envp;
		serve_request(&io);
		FCGX_Finish_r(&fr);
	}
	/* A failing worker stops the others too: the process exits and
	 * the web server starts a fresh one. */
	if (!atomic_exchange(&stopping, 1))
		(void)pthread_kill(main_tid, SIGUSR1);
	FCGX_Free(&fr, 1);
	return NULL;
}

static void
noop(int sig)
{
	(void)sig;
}

/*
 * listen_fd: address, or the socket systemd passed, or standard input
 * (where a web server that spawns us puts it); non-blocking, as the
 * workers poll it.
 */
static int
open_listener(const char *address)
{
	int	 fl, fd;

	if (address != NULL) {
		if ((listen_fd = FCGX_OpenSocket(address, FCGI_BACKLOG)) < 0) {
			log_msg("%s: cannot listen", address);
			return -1;
		}
	} else if ((fd = systemd_fd()) != -1) {
		listen_fd = fd;
		(void)unsetenv("LISTEN_PID");
		(void)unsetenv("LISTEN_FDS");
		(void)unsetenv("LISTEN_FDNAMES");
	} else
		listen_fd = 0;
	if ((fl = fcntl(listen_fd, F_GETFL)) == -1 ||
	    fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		log_msg("listening socket: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Signals: workers block them all (set); the main thread waits for them. */
static int
block_signals(sigset_t *set)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = noop;
	(void)sigaction(SIGUSR1, &sa, NULL);	/* replace libfcgi's */
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, set, NULL) != 0) {
		log_msg("pthread_sigmask failed");
		return -1;
	}
	return 0;
}

int
fcgi_run(const char *address, long nthreads)
{
	pthread_t	*tids;
	sigset_t	 set;
	long		 i, started = 0;
	int		 sig;

	main_tid = pthread_self();
	if (FCGX_Init() != 0) {
		log_msg("FCGX_Init failed");
		return 1;
	}
	if (open_listener(address) == -1)
		return 1;
	if (pipe(wake) == -1) {
		log_msg("pipe: %s", strerror(errno));
		return 1;
	}
	if (block_signals(&set) == -1)
		return 1;

	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > CONF_THREADS_MAX)
		nthreads = CONF_THREADS_MAX;
	if ((tids = calloc((size_t)nthreads, sizeof(*tids))) == NULL) {
		log_msg("out of memory");
		return 1;
	}
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&tids[i], NULL, worker, NULL) != 0) {
			log_msg("pthread_create failed");
			break;
		}
		started++;
	}
	if (started == 0) {
		free(tids);
		return 1;
	}

	/* A signal, or SIGUSR1 from a worker that gave up. */
	while (sigwait(&set, &sig) != 0)
		continue;
	if (sig > 0 && sig != SIGUSR1)
		log_msg("signal %d: finishing requests in flight", sig);
	atomic_store(&stopping, 1);
	FCGX_ShutdownPending();
	if (write(wake[1], "x", 1) != 1)
		log_msg("write: %s", strerror(errno));
	for (i = 0; i < started; i++)
		(void)pthread_join(tids[i], NULL);
	free(tids);
	return 0;
}
