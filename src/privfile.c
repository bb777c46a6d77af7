/* privfile: a secret's file, read only when no one else may read it. */
#include "keyfin/privfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ssize_t privfile_read(const char *path, const char *what, char *buf, size_t cap,
		      char *err, size_t err_len)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		snprintf(err, err_len, "cannot open %s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(err, err_len, "%s %s must be a file that group and others can neither "
			 "read nor write (chmod 600 it)", what, path);
		close(fd);
		return -1;
	}
	n = read(fd, buf, cap);
	close(fd);
	if (n < 0)
		snprintf(err, err_len, "cannot read %s %s: %s", what, path, strerror(errno));
	return n;
}
