#include "keyfin/conns.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "keyfin/http.h"
#include "keyfin/log.h"
#include "keyfin/monotime.h"

#define CONNS_DRAIN_MS 500      /* after a stop, serve what has come this long */
#define CONNS_LISTEN CONNS_MAX  /* epoll data of the listening socket */

enum { CONN_FREE, CONN_IDLE, CONN_BUSY };

int conns_init(struct conns *c, int listen_fd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE,
				  .data.u32 = CONNS_LISTEN };
	int rc;

	struct sockaddr_storage addr;
	socklen_t addr_len = sizeof(addr);

	memset(c, 0, sizeof(*c));
	c->listen_fd = listen_fd;
	c->tcp = getsockname(listen_fd, (struct sockaddr *)&addr, &addr_len) == 0 &&
		 (addr.ss_family == AF_INET || addr.ss_family == AF_INET6);
	/* listen_sock -1: libfcgi never accepts by itself (it would block) */
	for (int i = 0; i < CONNS_MAX; i++)
		if (FCGX_InitRequest(&c->fr[i], -1, 0) != 0)
			return -1;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0)
		return -1;
	/* EPOLLEXCLUSIVE: a new connection wakes one waiting worker, not all */
	rc = epoll_ctl(c->epfd, EPOLL_CTL_ADD, listen_fd, &ev);
	if (rc != 0 && errno == EINVAL) {
		ev.events = EPOLLIN;    /* a kernel before 4.5: every worker wakes */
		rc = epoll_ctl(c->epfd, EPOLL_CTL_ADD, listen_fd, &ev);
	}
	if (rc != 0) {
		close(c->epfd);
		return -1;
	}
	return 0;
}

/* libfcgi reads the request of slot i; 0, or -1 when the connection is
 * gone (nginx closed it, or it did not bring a request) and i is free. */
static int conns_read(struct conns *c, int i)
{
	/* keepConnection: FCGX_Accept_r starts by finishing "the last
	 * request", which would close the descriptor it is handed */
	c->fr[i].keepConnection = 1;
	if (FCGX_Accept_r(&c->fr[i]) < 0) {
		FCGX_Finish_r(&c->fr[i]);
		c->state[i] = CONN_FREE;
		return -1;
	}
	c->state[i] = CONN_BUSY;
	return 0;
}

/* A free slot; when there is none, the one idle the longest is closed. */
static int conns_slot(struct conns *c)
{
	int oldest = -1;

	for (int i = 0; i < CONNS_MAX; i++) {
		if (c->state[i] == CONN_FREE)
			return i;
		if (c->state[i] == CONN_IDLE &&
		    (oldest < 0 || c->idle_since[i] < c->idle_since[oldest]))
			oldest = i;
	}
	if (oldest < 0)
		return -1;
	log_msg(LOG_DEBUG, "conns", "%d connections held: closing the one idle longest",
		CONNS_MAX);
	/* its epoll entry goes with the descriptor; it may be in ready[] */
	for (int k = 0; k < c->nready; k++)
		if (c->ready[k] == oldest)
			c->ready[k] = c->ready[--c->nready];
	close(c->fr[oldest].ipcFd);
	c->fr[oldest].ipcFd = -1;
	c->state[oldest] = CONN_FREE;
	return oldest;
}

/* A new connection from the queue, in a slot: its index, or -1 with errno
 * (EAGAIN: none queued). */
static int conns_accept(struct conns *c)
{
	int one = 1, fd, i;

	fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return -1;
	i = conns_slot(c);
	if (i < 0) {            /* cannot be: at most REVHOLD_MAX + 1 are busy */
		close(fd);
		errno = EMFILE;
		return -1;
	}
	/* No SO_RCVTIMEO: a read with a timeout is not restarted after a
	 * signal (signal(7)), and a SIGTERM must not cut the request in
	 * flight.  Only nginx reaches the socket, and it sends whole requests
	 * (fastcgi_request_buffering on). */
	/* over TCP (KEYFIN_LISTEN host:port) a kept connection must not wait
	 * for Nagle between libfcgi's records */
	if (c->tcp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fr[i].ipcFd = fd;
	c->in_epoll[i] = 0;
	return i;
}

/* Waits for input (at most timeout_ms) and notes which idle connections
 * have some: 1, 0 on timeout, -1 on error (errno). */
static int conns_wait(struct conns *c, int timeout_ms)
{
	struct epoll_event ev[32];
	int n = epoll_wait(c->epfd, ev, 32, timeout_ms);

	for (int k = 0; k < n; k++)
		if (ev[k].data.u32 != CONNS_LISTEN)
			c->ready[c->nready++] = (int)ev[k].data.u32;
	return n > 0 ? 1 : n;
}

FCGX_Request *conns_next(struct conns *c, volatile int *stop, int timeout_ms,
			 enum conns_none *none)
{
	for (;;) {
		int i;

		/* a stopping worker serves what came before the stop, not a
		 * stream that never ends under load */
		if (*stop && c->drain_until == 0)
			c->drain_until = monotime_ms() + CONNS_DRAIN_MS;
		if (*stop && monotime_ms() > c->drain_until) {
			*none = CONNS_STOPPED;
			return NULL;
		}
		/* kept connections with a request, then what is queued: under
		 * load both are there without a wake-up */
		while (c->nready > 0) {
			i = c->ready[--c->nready];
			if (c->state[i] == CONN_IDLE && conns_read(c, i) == 0)
				return &c->fr[i];
		}
		i = conns_accept(c);
		if (i >= 0) {
			if (conns_read(c, i) == 0)
				return &c->fr[i];
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED && errno != EPROTO) {
			*none = CONNS_FAILED;
			return NULL;
		}
		/* idle: the log lines kept meanwhile go out now */
		log_flush();
		switch (conns_wait(c, *stop ? 0 : timeout_ms)) {
		case 0:
			*none = *stop ? CONNS_STOPPED : CONNS_TIMEOUT;
			return NULL;
		case -1:
			if (errno != EINTR) {
				*none = CONNS_FAILED;
				return NULL;
			}
		}
	}
}

void conns_answer(struct conns *c, FCGX_Request *fr, char *answer, size_t len)
{
	int i = (int)(fr - c->fr);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT,
				  .data.u32 = (uint32_t)i };

	http_write_deferred(fr, answer, len);
	http_finish(fr);
	if (fr->ipcFd < 0) {    /* not kept: libfcgi closed it */
		c->state[i] = CONN_FREE;
		return;
	}
	/* one-shot: it wakes the worker once, and again only when it has
	 * been served and rearmed here */
	if (epoll_ctl(c->epfd, c->in_epoll[i] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fr->ipcFd,
		      &ev) != 0) {
		log_msg(LOG_WARN, "conns", "cannot keep a connection: %s", strerror(errno));
		close(fr->ipcFd);
		fr->ipcFd = -1;
		c->state[i] = CONN_FREE;
		return;
	}
	c->in_epoll[i] = 1;
	c->state[i] = CONN_IDLE;
	c->idle_since[i] = monotime_ms();
}

void conns_close(struct conns *c)
{
	for (int i = 0; i < CONNS_MAX; i++) {
		if (c->fr[i].ipcFd >= 0) {
			FCGX_Free(&c->fr[i], 0);
			close(c->fr[i].ipcFd);
			c->fr[i].ipcFd = -1;
		}
		c->state[i] = CONN_FREE;
	}
	c->nready = 0;
	close(c->epfd);
}
