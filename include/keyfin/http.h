/*
 * http: one FastCGI request in (method, path, query, headers, body) and one
 * response out (status, headers, body).  The path is taken from the raw
 * REQUEST_URI and decoded here, with explicit limits, so that what keyfin
 * routes on is exactly what the client sent.
 */
#ifndef KEYFIN_HTTP_H
#define KEYFIN_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <fcgiapp.h>

#include "keyfin/uri.h"

#define HTTP_PATH_MAX 2048
#define HTTP_PARAM_MAX 4096     /* longest decoded query value */

struct req {
	FCGX_Request *fcgx;
	const char *method;
	char path[HTTP_PATH_MAX + 1];   /* decoded; /emby or /mediabrowser and a
					 * trailing slash removed */
	size_t path_len;
	const char *query;              /* raw, without '?' ("" when none) */
	bool camel_case;                /* Accept asked for profile="CamelCase" */
	const char *remote_addr;
	const char *request_id;
	struct timespec started;
	char *body;                     /* read on demand by http_read_body() */
	size_t body_len;
	int status;                     /* what was answered, for the log */
	int hold_ms;                    /* send the answer this much later */
	/* http_defer(): the answer is kept here, not written, until the
	 * caller takes it (http_take_deferred) */
	bool defer;
	char *deferred;
	size_t deferred_len, deferred_cap;
};

/* Fill `r` from the FastCGI parameters of `fcgx`; what uri_parse() said
 * of the path. */
enum uri_status http_req_init(struct req *r, FCGX_Request *fcgx);
void http_req_release(struct req *r);

/* From now on keep the whole answer in memory instead of writing it, so
 * that none of it leaves before the caller decides (libfcgi writes to the
 * socket whenever its 8 KiB buffer fills).  http_take_deferred() hands the
 * answer over (the caller frees it); http_write_deferred() writes one. */
void http_defer(struct req *r);
char *http_take_deferred(struct req *r, size_t *len);
void http_write_deferred(FCGX_Request *fcgx, char *answer, size_t len);

/* Close the request's connection at once, its answer written. */
void http_finish(FCGX_Request *fcgx);

/* A header line of the answer ("Name: value\r\n"), before http_respond*. */
void http_header(struct req *r, const char *line);

/* A request header by its CGI name, e.g. "HTTP_AUTHORIZATION"; NULL if absent. */
const char *http_param(const struct req *r, const char *name);

/* uri_query() on the request's query string. */
long http_query(const struct req *r, const char *name, char *out, size_t out_len);

/* Read the body (at most `max` bytes).  0, or the HTTP status to answer
 * (413 too large, 400 short read). */
int http_read_body(struct req *r, size_t max);

/* Responses.  Each writes the status line, X-Response-Time-ms and, for a
 * non-empty body, Content-Type and Content-Length. */
void http_respond(struct req *r, int status, const char *content_type,
		  const char *body, size_t len);
/* A body of unknown length, written piece by piece after this (nginx
 * sends it chunked). */
void http_respond_start(struct req *r, int status, const char *content_type);
void http_write(struct req *r, const char *data, size_t len);
/* No body and no Content-Type (Jellyfin's 204, 401 and 403). */
void http_respond_empty(struct req *r, int status);
void http_respond_allow(struct req *r, const char *allow);      /* 405 */
/* A short text/plain message, as Jellyfin's error middleware answers. */
void http_respond_text(struct req *r, int status, const char *text);

#endif
