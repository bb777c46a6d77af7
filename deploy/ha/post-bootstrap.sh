#!/bin/sh
# Patroni `bootstrap.post_bootstrap` script: runs ONCE per cluster, on the
# node that ran initdb, while PostgreSQL is up and before any replica
# exists.  Patroni passes a superuser connection string as the only argument
# (PGPASSFILE in the environment holds the password, if any).
#
# It makes the login role `keyfin` and the database `keyfin` owned by it.
# (`bootstrap.users` still works in Debian's Patroni 3.0.2 but is gone in
# Patroni 4.0, so roles are made here.)  Idempotent: a rerun is harmless.
# A non-zero exit makes Patroni fail the bootstrap (it then wipes the data
# directory and another node, or this one, bootstraps again).
#
# No password is set here: the example trusts loopback.  In production set
# it afterwards on the primary with `\password keyfin` in psql (psql sends
# only the SCRAM verifier, never the password text), or give the role a
# verifier you computed elsewhere: ALTER ROLE keyfin PASSWORD 'SCRAM-SHA-256$…'.
set -eu

conn=${1:?usage: post-bootstrap.sh CONNSTRING (Patroni passes it)}

# psql from PATH (the harness puts PostgreSQL's bin dir first; on Debian
# /usr/bin/psql is the version-selecting wrapper, which also works).
psql -X -q -v ON_ERROR_STOP=1 -d "$conn" <<'SQL'
SELECT 'CREATE ROLE keyfin LOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'keyfin')
\gexec
SELECT 'CREATE DATABASE keyfin OWNER keyfin ENCODING ''UTF8'' TEMPLATE template0'
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = 'keyfin')
\gexec
-- keyfin creates its tables itself (as the owner of the database).
SQL
