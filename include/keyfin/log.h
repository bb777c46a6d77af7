/*
 * log: one logfmt line per event on stderr, e.g.
 *   ts=2026-11-23T10:00:00.123Z level=info pid=42 event=request rid=abc ...
 * Values given with log_str() are quoted and control characters escaped, so
 * a hostile value cannot forge a line.  Callers never pass a token or
 * password: log the key's id or the route name instead.
 */
#ifndef KEYFIN_LOG_H
#define KEYFIN_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Set the lowest level written ("debug", "info", "warn", "error"). */
void log_set_level(const char *name);

/* Build a line piece by piece; log_end() writes it with one write(2), or
 * keeps it for the next log_flush() (see log_set_buffered). */
struct log_line {
	char buf[2048];
	size_t len;
	int enabled;
	enum log_level level;
};

/*
 * Buffered: info lines (one a request) are kept, up to 16 KiB, and written
 * together by log_flush(), which a worker calls whenever it is about to
 * wait for work (src/pool.c): under load many lines go in one write(2),
 * and an idle server has written everything.  A warning or error is
 * written at once, after what was kept.  What a worker killed by a signal
 * had kept is lost (at most 16 KiB; nginx's own access log has every
 * request).  Off by default; `keyfin serve` turns it on in its workers.
 */
void log_set_buffered(int on);
void log_flush(void);

void log_begin(struct log_line *line, enum log_level level, const char *event);
void log_str(struct log_line *line, const char *key, const char *value);
void log_int(struct log_line *line, const char *key, long long value);
void log_ms(struct log_line *line, const char *key, double ms);
void log_end(struct log_line *line);

/* Shorthand: an event with a free-text message. */
void log_msg(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
