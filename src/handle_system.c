/* /System/Ping, /System/Info, /System/Info/Public and /health. */
#include "keyfin/handle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfin/metrics.h"
#include "keyfin/render.h"

/* What integrations read to tell what they talk to: keyfin answers as the
 * Jellyfin version whose API it implements. */
#define JELLYFIN_VERSION "10.11.0"
#define PRODUCT_NAME "Jellyfin Server"

void handle_ping(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	static const char body[] = "\"" PRODUCT_NAME "\"";

	(void)app;
	(void)c;
	(void)arg;
	http_respond(r, 200, "application/json; charset=utf-8", body, sizeof(body) - 1);
}

void handle_health(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	(void)c;
	(void)arg;
	/* a real round trip: a connection that looks fine may lead nowhere */
	if (store_ping(app->store) != STORE_OK) {
		http_respond_text(r, 503, "Unhealthy");
		return;
	}
	http_respond_text(r, 200, "Healthy");
}

/* Liveness: the process answers.  (Readiness is /health: the database too.) */
void handle_health_live(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	(void)app;
	(void)c;
	(void)arg;
	http_respond_text(r, 200, "Healthy");
}

/* Prometheus text; nginx lets only internal addresses reach it. */
void handle_metrics(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	size_t len = 0;
	char *text = metrics_render(&len);

	(void)app;
	(void)c;
	(void)arg;
	if (text == NULL) {
		http_respond_text(r, 500, "Error processing request.");
		return;
	}
	http_respond(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
	free(text);
}

/* The address clients reached us at, as Jellyfin's LocalAddress. */
static void local_address(const struct req *r, char *out, size_t len)
{
	const char *host = http_param(r, "HTTP_HOST");
	const char *https = http_param(r, "HTTPS");

	snprintf(out, len, "%s://%s", https != NULL && https[0] != '\0' ? "https" : "http",
		 host != NULL ? host : "127.0.0.1");
}

static void add_public_fields(json_object *o, bool camel, struct app *app,
			      const char *address, const char *id)
{
	render_str(o, camel, "LocalAddress", address);
	render_str(o, camel, "ServerName", app->cfg->server_name);
	render_str(o, camel, "Version", JELLYFIN_VERSION);
	render_str(o, camel, "ProductName", PRODUCT_NAME);
	render_str(o, camel, "OperatingSystem", "Linux");
	render_str(o, camel, "Id", id);
	render_bool(o, camel, "StartupWizardCompleted", true);
}

/* SystemInfo's own fields.  System.Text.Json writes a derived class's
 * properties before PublicSystemInfo's; null ones are left out. */
static void add_system_fields(json_object *o, bool camel)
{
	render_str(o, camel, "OperatingSystemDisplayName", "");
	render_bool(o, camel, "HasPendingRestart", false);
	render_bool(o, camel, "IsShuttingDown", false);
	render_bool(o, camel, "SupportsLibraryMonitor", false);
	render_int(o, camel, "WebSocketPortNumber", 0);
	render_add(o, camel, "CompletedInstallations", json_object_new_array());
	render_bool(o, camel, "CanSelfRestart", true);
	render_bool(o, camel, "CanLaunchWebBrowser", false);
	render_str(o, camel, "ProgramDataPath", "");
	render_str(o, camel, "WebPath", "");
	render_str(o, camel, "ItemsByNamePath", "");
	render_str(o, camel, "CachePath", "");
	render_str(o, camel, "LogPath", "");
	render_str(o, camel, "InternalMetadataPath", "");
	render_str(o, camel, "TranscodingTempPath", "");
	render_add(o, camel, "CastReceiverApplications", json_object_new_array());
	render_bool(o, camel, "HasUpdateAvailable", false);
	render_str(o, camel, "EncoderLocation", "System");
	render_str(o, camel, "SystemArchitecture", "X64");
}

/*
 * /System/Info is what every integration asks, with every key check.  Its
 * answer depends on the request only through the naming profile and the
 * address it reached us at (Host, HTTPS), and on nothing that changes while
 * a worker lives (SIGHUP replaces the workers): each worker keeps the bytes
 * it rendered last for each of the four variants and sends them again while
 * the address is the same.
 */
struct info_rendered {
	char address[300];
	char *body;
	size_t len;
};

static struct info_rendered info_rendered[2][2];      /* [full][camel] */

static void send_info(struct app *app, struct req *r, bool full)
{
	struct info_rendered *kept = &info_rendered[full][r->camel_case];
	const char *id = app_server_id(app);
	char address[sizeof(kept->address)];
	json_object *o;
	const char *text;
	size_t len = 0;

	if (id == NULL) {
		handle_store_failure(r, STORE_UNAVAILABLE);
		return;
	}
	local_address(r, address, sizeof(address));
	if (kept->body != NULL && strcmp(kept->address, address) == 0) {
		http_respond(r, 200, "application/json; charset=utf-8", kept->body, kept->len);
		return;
	}
	o = json_object_new_object();
	if (full)
		add_system_fields(o, r->camel_case);
	add_public_fields(o, r->camel_case, app, address, id);
	text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
						 JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	http_respond(r, 200, "application/json; charset=utf-8", text, len);
	free(kept->body);
	kept->body = strdup(text);
	kept->len = len;
	snprintf(kept->address, sizeof(kept->address), "%s", address);
	json_object_put(o);
}

void handle_info_public(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	(void)c;
	(void)arg;
	send_info(app, r, false);
}

void handle_info(struct app *app, struct req *r, struct caller *c, const char *arg)
{
	(void)c;
	(void)arg;
	send_info(app, r, true);
}
