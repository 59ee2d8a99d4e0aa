-- One service's database (run by setup.sh as the superuser, once per service).
-- psql variables: service (role and database name), password_file (the role's password).
\set password `cat :'password_file'`

-- The login role: no superuser, no role or database creation.
SELECT format('CREATE ROLE %I LOGIN', :'service')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'service') \gexec
ALTER ROLE :"service" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
\unset password

-- The database, owned by the role (PostgreSQL 15+: so it may create tables in schema public)
-- and closed to every other role.
SELECT format('CREATE DATABASE %I OWNER %I', :'service', :'service')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'service') \gexec
ALTER DATABASE :"service" OWNER TO :"service";
REVOKE ALL ON DATABASE :"service" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"service" TO :"service";

-- Tables created by another role pass to the service's role (review's tables were created
-- by the superuser before each service had its own role). Owned sequences follow their table.
\connect :service
SELECT format('ALTER TABLE %I.%I OWNER TO %I', schemaname, tablename, :'service')
  FROM pg_tables
 WHERE schemaname = 'public' AND tableowner <> :'service' \gexec
