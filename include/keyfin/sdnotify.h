/*
 * sdnotify: tell systemd how `keyfin serve` is doing (Type=notify, the
 * Debian package's keyfin.service): READY=1 once the socket is open and the
 * workers started, RELOADING=1 / READY=1 around a SIGHUP, STOPPING=1 at a
 * stop.  A datagram to $NOTIFY_SOCKET, as sd_notify(3) sends it, without
 * linking libsystemd; nothing at all when NOTIFY_SOCKET is unset.
 */
#ifndef KEYFIN_SDNOTIFY_H
#define KEYFIN_SDNOTIFY_H

/* Sends `state` (lines of NAME=value); 0, or -1 when it could not be sent
 * (also logged at debug level: systemd then sees no readiness, and says
 * so). */
int sdnotify(const char *state);

#endif
