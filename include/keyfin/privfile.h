/*
 * privfile: reading a file that holds a secret (the server secret, front
 * mode's upstream key): refused when it is a symbolic link, not a regular
 * file, or when group or others may read or write it.  No allocation.
 */
#ifndef KEYFIN_PRIVFILE_H
#define KEYFIN_PRIVFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Read at most `cap` bytes of `path` into `buf`.  Returns the number read,
 * or -1 with a sentence in `err` that names the file as `what` (e.g.
 * "secret file") and never holds its content.
 */
ssize_t privfile_read(const char *path, const char *what, char *buf, size_t cap,
		      char *err, size_t err_len)
	__attribute__((warn_unused_result));

#endif
