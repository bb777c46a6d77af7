#include "keyfin/sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "keyfin/log.h"

int sdnotify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr;
	socklen_t len;
	size_t n;
	int fd;
	ssize_t sent;

	if (path == NULL || path[0] == '\0')
		return 0;
	n = strlen(path);
	/* an absolute path, or "@name" in the abstract namespace */
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(addr.sun_path))
		return -1;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path, n);
	if (path[0] == '@')
		addr.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, len);
	if (sent < 0)
		log_msg(LOG_DEBUG, "sdnotify", "cannot notify systemd: %s", strerror(errno));
	close(fd);
	return sent < 0 ? -1 : 0;
}
