/* Migrations: the schema embedded in the binary (sql/, scripts/embed-sql). */
#include "keyfin/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfin/log.h"
#include "keyfin/migrate.h"
#include "store_int.h"

enum store_status store_schema_version(struct store *s, int *version)
{
	enum store_status st = store_ready(s);
	PGresult *res;
	PGconn *pg;

	if (st != STORE_OK)
		return st;
	pg = s->c.pg;
	PQsetnonblocking(pg, 0);        /* at start-up, as store_migrate */
	/* no keyfin_migrations table: nothing applied yet */
	res = PQexec(pg, "SELECT to_regclass('keyfin_migrations') IS NOT NULL");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		PQclear(res);
		res = PQexec(pg, "SELECT coalesce(max(version), 0) FROM keyfin_migrations");
	}
	PQsetnonblocking(pg, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		log_msg(LOG_WARN, "migrate", "cannot read the schema version: %s",
			PQresultErrorMessage(res));
		PQclear(res);
		return STORE_ERROR;
	}
	*version = strcmp(PQgetvalue(res, 0, 0), "f") == 0 ? 0 : atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return STORE_OK;
}

int store_schema_wanted(void)
{
	return migrations_count > 0 ? migrations[migrations_count - 1].version : 0;
}

enum store_status store_migrate(struct store *s, int *applied)
{
	enum store_status st = store_ready(s);
	PGresult *res = NULL;
	PGconn *pg;
	int have = 0;

	*applied = 0;
	if (st != STORE_OK)
		return st;
	/* Blocking, without the deadline: a migration may wait its turn on the
	 * lock and take long on a big table, both fine at start-up.  The
	 * connection's keepalives and tcp_user_timeout still end it if the
	 * server vanishes. */
	pg = s->c.pg;
	PQsetnonblocking(pg, 0);
	/* One transaction and a transaction-level lock: works through poolers
	 * in transaction mode, and a crash leaves nothing half applied. */
	res = PQexec(pg, "BEGIN; SELECT pg_advisory_xact_lock(" STORE_STR(STORE_LOCK_MIGRATE) "); "
		     "CREATE TABLE IF NOT EXISTS keyfin_migrations ("
		     "version int PRIMARY KEY, name text NOT NULL, "
		     "applied_at timestamptz NOT NULL DEFAULT now())");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		goto failed;
	PQclear(res);
	res = PQexec(pg, "SELECT coalesce(max(version), 0) FROM keyfin_migrations");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		goto failed;
	have = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	res = NULL;
	for (size_t i = 0; i < migrations_count; i++) {
		const struct migration *m = &migrations[i];
		char version[16];
		const char *values[2] = { version, m->name };

		if (m->version <= have)
			continue;
		res = PQexec(pg, m->sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK)
			goto failed;
		PQclear(res);
		snprintf(version, sizeof(version), "%d", m->version);
		res = PQexecParams(pg, "INSERT INTO keyfin_migrations (version, name) "
				   "VALUES ($1, $2)", 2, NULL, values, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			goto failed;
		PQclear(res);
		res = NULL;
		log_msg(LOG_INFO, "migrate", "applied %s", m->name);
		(*applied)++;
	}
	res = PQexec(pg, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		goto failed;
	PQclear(res);
	PQsetnonblocking(pg, 1);
	return STORE_OK;

failed:
	log_msg(LOG_ERROR, "migrate", "migration failed: %s",
		res ? PQresultErrorMessage(res) : PQerrorMessage(pg));
	PQclear(res);
	*applied = 0;
	st = PQstatus(pg) == CONNECTION_OK ? STORE_ERROR : STORE_UNAVAILABLE;
	store_conn_drop(&s->c, true);   /* rolls back whatever was begun */
	return st;
}
