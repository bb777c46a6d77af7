#include "keyfin/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "keyfin/render.h"


static const char *status_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

/* Everything the answer is made of goes through here. */
static void http_put(struct req *r, const char *data, size_t len)
{
	if (r->defer && r->deferred_len + len > r->deferred_cap) {
		size_t cap = r->deferred_cap ? r->deferred_cap : 4096;
		char *grown;

		while (cap < r->deferred_len + len)
			cap *= 2;
		grown = realloc(r->deferred, cap);
		if (grown == NULL) {
			/* out of memory: the answer goes out now rather than never */
			FCGX_PutStr(r->deferred, (int)r->deferred_len, r->fcgx->out);
			free(r->deferred);
			r->deferred = NULL;
			r->deferred_len = r->deferred_cap = 0;
			r->defer = false;
		} else {
			r->deferred = grown;
			r->deferred_cap = cap;
		}
	}
	if (!r->defer) {
		FCGX_PutStr(data, (int)len, r->fcgx->out);
		return;
	}
	memcpy(r->deferred + r->deferred_len, data, len);
	r->deferred_len += len;
}

void http_defer(struct req *r)
{
	r->defer = true;
}

char *http_take_deferred(struct req *r, size_t *len)
{
	char *answer = r->deferred;

	*len = r->deferred_len;
	r->deferred = NULL;
	r->deferred_len = r->deferred_cap = 0;
	r->defer = false;
	return answer;
}

void http_write_deferred(FCGX_Request *fcgx, char *answer, size_t len)
{
	if (answer == NULL)
		return;
	FCGX_PutStr(answer, (int)len, fcgx->out);
	free(answer);
}

/*
 * End a request without libfcgi's lingering close (shut down the write
 * side, then wait for nginx to close first): read what is left of the
 * request so that closing sends no reset, then close at once.  That wait
 * was a fifth of a worker's time in the profile (docs/performance.md).
 */
void http_finish(FCGX_Request *fcgx)
{
	char rest[4096];

	while (FCGX_GetStr(rest, sizeof(rest), fcgx->in) > 0)
		;
	fcgx->detached = 1;
	FCGX_Finish_r(fcgx);
	fcgx->detached = 0;
}

void http_header(struct req *r, const char *line)
{
	http_put(r, line, strlen(line));
}

const char *http_param(const struct req *r, const char *name)
{
	return FCGX_GetParam(name, r->fcgx->envp);
}


enum uri_status http_req_init(struct req *r, FCGX_Request *fcgx)
{
	const char *uri;

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	r->fcgx = fcgx;
	r->method = http_param(r, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "GET";
	r->remote_addr = http_param(r, "REMOTE_ADDR");
	r->request_id = http_param(r, "REQUEST_ID");
	r->camel_case = render_wants_camel(http_param(r, "HTTP_ACCEPT"));
	uri = http_param(r, "REQUEST_URI");
	return uri_parse(uri ? uri : "/", r->path, sizeof(r->path), &r->path_len, &r->query);
}

void http_req_release(struct req *r)
{
	/* a body may hold a password */
	if (r->body != NULL)
		sodium_memzero(r->body, r->body_len);
	free(r->body);
	r->body = NULL;
	free(r->deferred);      /* an answer nobody took */
	r->deferred = NULL;
}

long http_query(const struct req *r, const char *name, char *out, size_t out_len)
{
	return uri_query(r->query, name, out, out_len);
}

int http_read_body(struct req *r, size_t max)
{
	const char *cl = http_param(r, "CONTENT_LENGTH");
	char *end;
	unsigned long long want;
	int got;

	if (r->body != NULL)
		return 0;
	want = (cl == NULL || cl[0] == '\0') ? 0 : strtoull(cl, &end, 10);
	if (cl != NULL && cl[0] != '\0' && *end != '\0')
		return 400;
	if (want > max)
		return 413;
	r->body = malloc((size_t)want + 1);
	if (r->body == NULL)
		return 413;
	got = want ? FCGX_GetStr(r->body, (int)want, r->fcgx->in) : 0;
	if (got < 0 || (unsigned long long)got != want)
		return 400;
	r->body[got] = '\0';
	r->body_len = (size_t)got;
	return 0;
}

static long elapsed_ms(const struct req *r)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - r->started.tv_sec) * 1000 +
	       (now.tv_nsec - r->started.tv_nsec) / 1000000;
}

/* Status line and headers; Content-Length only when `len` is known (>= 0). */
static void respond_head(struct req *r, int status, const char *content_type, long long len)
{
	char head[512];
	int n;

	/* libfcgi's own FCGX_FPrintF knows few conversions: format here. */
	n = snprintf(head, sizeof(head), "Status: %d %s\r\nX-Response-Time-ms: %ld\r\n",
		     status, status_reason(status), elapsed_ms(r));
	if (content_type != NULL)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Type: %s\r\n",
			      content_type);
	/* the database is away: it usually comes back within a second */
	if (status == 503)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Retry-After: 1\r\n");
	if (status != 204 && len >= 0)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Length: %lld\r\n", len);
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	r->status = status;
	http_put(r, head, (size_t)n);
}

void http_respond(struct req *r, int status, const char *content_type,
		  const char *body, size_t len)
{
	respond_head(r, status, content_type, (long long)len);
	if (len > 0)
		http_put(r, body, len);
}

void http_respond_start(struct req *r, int status, const char *content_type)
{
	respond_head(r, status, content_type, -1);
}

void http_write(struct req *r, const char *data, size_t len)
{
	http_put(r, data, len);
}

void http_respond_empty(struct req *r, int status)
{
	http_respond(r, status, NULL, NULL, 0);
}

void http_respond_allow(struct req *r, const char *allow)
{
	http_header(r, "Allow: ");
	http_header(r, allow);
	http_header(r, "\r\n");
	http_respond_empty(r, 405);
}

void http_respond_text(struct req *r, int status, const char *text)
{
	http_respond(r, status, "text/plain; charset=utf-8", text, strlen(text));
}
