#include "keyfin/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_min = LOG_INFO;

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

static void log_printf(struct log_line *line, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void log_printf(struct log_line *line, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		log_append(line, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void log_begin(struct log_line *line, enum log_level level, const char *event)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	line->len = 0;
	line->enabled = level >= log_min;
	if (!line->enabled)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	log_printf(line, "ts=%s.%03ldZ level=%s pid=%d event=%s", stamp,
		   ts.tv_nsec / 1000000, log_names[level], (int)getpid(), event);
}

void log_str(struct log_line *line, const char *key, const char *value)
{
	static const char hex[] = "0123456789abcdef";

	if (!line->enabled)
		return;
	log_printf(line, " %s=\"", key);
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
	if (line->enabled)
		log_printf(line, " %s=%lld", key, value);
}

void log_ms(struct log_line *line, const char *key, double ms)
{
	if (line->enabled)
		log_printf(line, " %s=%.3f", key, ms);
}

void log_end(struct log_line *line)
{
	ssize_t w;

	if (!line->enabled)
		return;
	line->buf[line->len++] = '\n';
	w = write(STDERR_FILENO, line->buf, line->len);
	(void)w;        /* nowhere left to report a failing stderr */
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
