/*
 * The architectural ceiling of keyfin's design: a minimal libfcgi responder
 * with the same process model as `keyfin serve` (src/pool.c, src/main.c):
 * a pre-forked pool of N workers sharing one non-blocking unix socket, each
 * taking a queued connection with accept4() or, when none is, waiting in an
 * epoll set of its own (EPOLLEXCLUSIVE: one worker woken a connection),
 * handing the connection to FCGX_Accept_r through ipcFd, answering a small
 * JSON body and finishing.
 * No database, no logging, no parsing: what is left is nginx + FastCGI.
 *
 *   hello SOCKET_PATH WORKERS      (SIGTERM/SIGINT stop the pool)
 *
 * Built by bench/run: cc -O2 bench/hello.c -lfcgi.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

static volatile sig_atomic_t stop;
static int detach = 1;  /* plain close(), as keyfin; HELLO_DETACH=0: libfcgi's lingering close */

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static const char reply[] =
	"Status: 200 OK\r\n"
	"Content-Type: application/json; charset=utf-8\r\n"
	"Content-Length: 27\r\n"
	"\r\n"
	"{\"ServerName\":\"hello\",\"x\":1}";

static int worker(int listen_fd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	FCGX_Request fr;
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	ev.data.fd = listen_fd;
	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev) != 0 ||
	    FCGX_InitRequest(&fr, listen_fd, 0) != 0)
		return 1;
	while (!stop) {
		/* as keyfin's pool_accept: what is queued first, then wait */
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (epoll_wait(epfd, &ev, 1, -1) < 0 && errno != EINTR)
					return 1;
				continue;
			}
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			return 1;
		}
		fr.ipcFd = fd;
		fr.keepConnection = 1;
		if (FCGX_Accept_r(&fr) < 0) {
			FCGX_Finish_r(&fr);
			continue;
		}
		FCGX_PutStr(reply, (int)sizeof(reply) - 1, fr.out);
		if (detach) {
			/* as keyfin's finish_request: read the rest, close at once */
			char rest[4096];

			while (FCGX_GetStr(rest, sizeof(rest), fr.in) > 0)
				;
			fr.detached = 1;
		}
		FCGX_Finish_r(&fr);
		fr.detached = 0;
		/* one request a connection: keyfin's nginx configuration asks to
		 * keep it (fastcgi_keep_conn), but without an upstream keepalive
		 * pool nginx closes its side, and a kept descriptor would leak */
		if (fr.ipcFd >= 0) {
			close(fr.ipcFd);
			fr.ipcFd = -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	pid_t *pids;
	int n, fd;

	if (argc != 3 || (n = atoi(argv[2])) < 1 || n > 256) {
		fprintf(stderr, "usage: hello SOCKET_PATH WORKERS\n");
		return 2;
	}
	detach = getenv("HELLO_DETACH") == NULL || strcmp(getenv("HELLO_DETACH"), "0") != 0;
	if (FCGX_Init() != 0)
		return 1;
	unlink(argv[1]);
	fd = FCGX_OpenSocket(argv[1], 1024);
	if (fd < 0) {
		perror("hello: listen");
		return 1;
	}
	chmod(argv[1], 0666);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	pids = calloc((size_t)n, sizeof(*pids));
	if (pids == NULL)
		return 1;
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(worker(fd));
	}
	while (!stop)
		pause();
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);     /* no request state worth keeping */
	while (wait(NULL) > 0)
		;
	unlink(argv[1]);
	return 0;
}
