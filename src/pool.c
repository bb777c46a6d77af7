#include "keyfin/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "keyfin/log.h"
#include "keyfin/metrics.h"
#include "keyfin/priv.h"
#include "keyfin/sdnotify.h"

#define POOL_STOP_GRACE 30      /* seconds to finish requests in flight */

static volatile int worker_stop;

/* SA_RESTART: the request in flight carries on; a worker waiting in
 * poll() wakes up (poll is never restarted) and drains the queue. */
static void worker_on_term(int sig)
{
	(void)sig;
	worker_stop = 1;
}

static pid_t pool_spawn(int listen_fd, pool_worker_fn *worker, void *ctx,
			const sigset_t *old_mask)
{
	struct sigaction sa;
	pid_t pid = fork();
	int rc;

	if (pid != 0)
		return pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_on_term;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	rc = worker(listen_fd, &worker_stop, ctx);
	log_flush();
	_exit(rc);
}

/* Open the FastCGI socket; "unix:/path" or what FCGX_OpenSocket takes. */
static int pool_listen(const struct config *cfg, const char **unix_path)
{
	const char *spec = cfg->listen;
	int fd;

	*unix_path = NULL;
	if (strncmp(spec, "unix:", 5) == 0) {
		spec += 5;
		*unix_path = spec;
		unlink(spec);   /* a stale socket of a previous run */
	}
	fd = FCGX_OpenSocket(spec, cfg->backlog);
	if (fd < 0) {
		log_msg(LOG_ERROR, "listen", "cannot listen on %s: %s", cfg->listen,
			strerror(errno));
		return -1;
	}
	/* nginx's workers run as another user: they must be able to connect.
	 * Who may reach the socket is decided by its directory's mode. */
	if (*unix_path != NULL)
		chmod(*unix_path, 0666);
	/* Workers wait in epoll and then accept without blocking: the one
	 * that loses the race goes back to waiting, and a stopping worker can
	 * take what is queued and leave when nothing is (src/conns.c). */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
		log_msg(LOG_ERROR, "listen", "cannot make the socket non-blocking: %s",
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int pool_run(const struct config *cfg, pool_worker_fn *worker, pool_reload_fn *reload,
	     void *ctx)
{
	int n = cfg->workers, alive = 0, pending = 0, replacing = 0;
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	sigset_t set, old;
	const char *unix_path;
	time_t last_spawn = 0, stop_deadline = 0;
	int listen_fd;

	if (pids == NULL)
		return -1;
	if (FCGX_Init() != 0 || (listen_fd = pool_listen(cfg, &unix_path)) < 0) {
		free(pids);
		return -1;
	}
	if (cfg->run_as[0] != '\0') {
		char err[256];

		if (priv_drop(cfg->run_as, err, sizeof(err)) != 0) {
			log_msg(LOG_ERROR, "privileges", "%s", err);
			close(listen_fd);
			free(pids);
			return -1;
		}
		log_msg(LOG_INFO, "privileges", "running as %s", cfg->run_as);
	} else if (geteuid() == 0 && !cfg->allow_root) {
		/* a worker parses what the network sends: never as root unless
		 * asked for in so many words */
		log_msg(LOG_ERROR, "privileges", "refusing to run the workers as root: set "
			"KEYFIN_USER to an unprivileged user (or KEYFIN_ALLOW_ROOT=on)");
		close(listen_fd);
		free(pids);
		return -1;
	} else if (geteuid() == 0) {
		log_msg(LOG_WARN, "privileges", "running as root (KEYFIN_ALLOW_ROOT=on): set "
			"KEYFIN_USER to an unprivileged user");
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (int i = 0; i < n; i++) {
		pids[i] = pool_spawn(listen_fd, worker, ctx, &old);
		alive += pids[i] > 0;
	}
	last_spawn = time(NULL);
	log_msg(LOG_INFO, "serve", "listening on %s with %d workers", cfg->listen, alive);
	{
		char state[320];

		snprintf(state, sizeof(state), "READY=1\nSTATUS=listening on %.200s with %d workers",
			 cfg->listen, alive);
		sdnotify(state);
	}

	while (alive > 0 || (pending > 0 && stop_deadline == 0)) {
		struct timespec tick = { 1, 0 };

		metrics_workers(alive);
		siginfo_t info;
		int sig = sigtimedwait(&set, &info, &tick);
		pid_t pid;
		int status;

		if (sig == SIGHUP && stop_deadline == 0 && reload != NULL) {
			sdnotify("RELOADING=1");
			if (reload(ctx) == 0) {
				/* a planned replacement: no throttle, no error */
				for (int i = 0; i < n; i++)
					if (pids[i] > 0)
						kill(pids[i], SIGTERM);
				replacing = alive;
			}
			/* the socket never closed: ready all along */
			sdnotify("READY=1");
		}
		if ((sig == SIGTERM || sig == SIGINT) && stop_deadline == 0) {
			sdnotify("STOPPING=1");
			log_msg(LOG_INFO, "stop", "stopping: finishing requests in flight");
			stop_deadline = time(NULL) + POOL_STOP_GRACE;
			for (int i = 0; i < n; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGTERM);
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (int i = 0; i < n; i++) {
				if (pids[i] != pid)
					continue;
				pids[i] = 0;
				alive--;
				if (stop_deadline != 0)
					break;
				if (replacing > 0) {
					replacing--;
					pids[i] = pool_spawn(listen_fd, worker, ctx, &old);
					alive += pids[i] > 0;
					break;
				}
				metrics_worker_restart();
				log_msg(LOG_ERROR, "worker_died", "worker %d %s %d; restarting",
					(int)pid, WIFSIGNALED(status) ? "killed by signal"
					: "exited with", WIFSIGNALED(status) ? WTERMSIG(status)
					: WEXITSTATUS(status));
				pending++;
			}
		}
		if (stop_deadline != 0 && time(NULL) >= stop_deadline) {
			log_msg(LOG_WARN, "stop", "workers still busy after %ds: killing them",
				POOL_STOP_GRACE);
			for (int i = 0; i < n; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGKILL);
			stop_deadline = time(NULL) + 3600;      /* only reap from now on */
		}
		/* Restart dead workers, one a second at most. */
		if (pending > 0 && stop_deadline == 0 && time(NULL) > last_spawn) {
			for (int i = 0; i < n && pending > 0; i++) {
				if (pids[i] != 0)
					continue;
				pids[i] = pool_spawn(listen_fd, worker, ctx, &old);
				alive += pids[i] > 0;
				pending--;
				last_spawn = time(NULL);
				break;
			}
		}
	}
	close(listen_fd);
	if (unix_path != NULL)
		unlink(unix_path);
	free(pids);
	sigprocmask(SIG_SETMASK, &old, NULL);
	log_msg(LOG_INFO, "stop", "stopped");
	return 0;
}
