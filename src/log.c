#include "keyfin/log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_min = LOG_INFO;

static struct {
	int on;
	size_t len;
	char buf[16384];
} log_kept;

/* getpid() is a system call; a fork's child learns its own. */
static pid_t log_pid;

static void log_forked(void)
{
	log_pid = getpid();
	log_kept.len = 0;       /* the parent's lines are the parent's to write */
}

static const char *const log_names[] = { "debug", "info", "warn", "error" };

void log_set_level(const char *name)
{
	for (int i = LOG_DEBUG; i <= LOG_ERROR; i++)
		if (strcmp(name, log_names[i]) == 0)
			log_min = (enum log_level)i;
}

static void log_append(struct log_line *line, const char *s, size_t n)
{
	size_t room = sizeof(line->buf) - 1 - line->len;   /* keep one for '\n' */

	if (n > room)
		n = room;
	memcpy(line->buf + line->len, s, n);
	line->len += n;
}

static void log_cstr(struct log_line *line, const char *s)
{
	log_append(line, s, strlen(s));
}

/* Decimal digits of `v`, without printf: one line per request is written,
 * and formatting showed in the profile. */
static void log_uint(struct log_line *line, unsigned long long v, int min_digits)
{
	char digits[24];
	int n = 0;

	do {
		digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 || n < min_digits);
	log_append(line, digits + sizeof(digits) - n, (size_t)n);
}

static void log_key(struct log_line *line, const char *key)
{
	log_append(line, " ", 1);
	log_cstr(line, key);
	log_append(line, "=", 1);
}

/* "ts=2026-11-23T10:00:00" for the current second, made once a second. */
static const char *log_stamp(time_t now)
{
	static time_t made = -1;
	static char stamp[32];
	struct tm tm;

	if (now != made) {
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "ts=%Y-%m-%dT%H:%M:%S.", &tm);
		made = now;
	}
	return stamp;
}

void log_begin(struct log_line *line, enum log_level level, const char *event)
{
	struct timespec ts;

	line->len = 0;
	line->level = level;
	line->enabled = level >= log_min;
	if (!line->enabled)
		return;
	if (log_pid == 0) {
		log_pid = getpid();
		pthread_atfork(NULL, NULL, log_forked);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	log_cstr(line, log_stamp(ts.tv_sec));
	log_uint(line, (unsigned long long)(ts.tv_nsec / 1000000), 3);
	log_cstr(line, "Z level=");
	log_cstr(line, log_names[level]);
	log_cstr(line, " pid=");
	log_uint(line, (unsigned long long)log_pid, 1);
	log_cstr(line, " event=");
	log_cstr(line, event);
}

void log_str(struct log_line *line, const char *key, const char *value)
{
	static const char hex[] = "0123456789abcdef";

	if (!line->enabled)
		return;
	log_key(line, key);
	log_append(line, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)(value ? value : ""); *p; p++) {
		char esc[4] = { '\\', 0, 0, 0 };

		if (*p == '"' || *p == '\\') {
			esc[1] = (char)*p;
			log_append(line, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			char x[4] = { '\\', 'x', hex[*p >> 4], hex[*p & 15] };

			log_append(line, x, 4);
		} else {
			log_append(line, (const char *)p, 1);
		}
	}
	log_append(line, "\"", 1);
}

void log_int(struct log_line *line, const char *key, long long value)
{
	if (!line->enabled)
		return;
	log_key(line, key);
	if (value < 0)
		log_append(line, "-", 1);
	log_uint(line, value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value, 1);
}

/* Milliseconds with three decimals (microseconds). */
void log_ms(struct log_line *line, const char *key, double ms)
{
	long long us = (long long)(ms * 1000.0 + 0.5);

	if (!line->enabled)
		return;
	if (us < 0)
		us = 0;
	log_key(line, key);
	log_uint(line, (unsigned long long)(us / 1000), 1);
	log_append(line, ".", 1);
	log_uint(line, (unsigned long long)(us % 1000), 3);
}

static void log_write(const char *buf, size_t len)
{
	ssize_t w = write(STDERR_FILENO, buf, len);

	(void)w;        /* nowhere left to report a failing stderr */
}

void log_set_buffered(int on)
{
	log_flush();
	log_kept.on = on;
}

void log_flush(void)
{
	if (log_kept.len > 0)
		log_write(log_kept.buf, log_kept.len);
	log_kept.len = 0;
}

void log_end(struct log_line *line)
{
	if (!line->enabled)
		return;
	line->buf[line->len++] = '\n';
	if (log_kept.on && line->level <= LOG_INFO) {
		if (log_kept.len + line->len > sizeof(log_kept.buf))
			log_flush();
		memcpy(log_kept.buf + log_kept.len, line->buf, line->len);
		log_kept.len += line->len;
		return;
	}
	log_flush();
	log_write(line->buf, line->len);
}

void log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
	struct log_line line;
	char msg[1024];
	va_list ap;

	log_begin(&line, level, event);
	if (!line.enabled)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_str(&line, "msg", msg);
	log_end(&line);
}
