#include "keyfin/priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int priv_drop(const char *user, char *err, size_t err_len)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	int rc;

	if (geteuid() != 0)
		return 0;
	rc = getpwnam_r(user, &pw, buf, sizeof(buf), &found);
	if (rc != 0 || found == NULL) {
		snprintf(err, err_len, "KEYFIN_USER: no user %s", user);
		return -1;
	}
	if (pw.pw_uid == 0) {
		snprintf(err, err_len, "KEYFIN_USER: %s is root", user);
		return -1;
	}
	/* groups first, then the group, then the user: the other way round
	 * would have no right left to change the groups */
	if (initgroups(pw.pw_name, pw.pw_gid) != 0 || setgid(pw.pw_gid) != 0 ||
	    setuid(pw.pw_uid) != 0) {
		snprintf(err, err_len, "cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		snprintf(err, err_len, "still able to become root after dropping to %s", user);
		return -1;
	}
	/* a change of user resets "dumpable" to fs.suid_dumpable, which may
	 * be 1: the keys in memory stay out of reach of ptrace and cores */
	if (prctl(PR_SET_DUMPABLE, 0) != 0) {
		snprintf(err, err_len, "cannot make the process undumpable: %s", strerror(errno));
		return -1;
	}
	return 0;
}
