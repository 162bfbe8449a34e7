-- Runs once, when the Postgres container creates its cluster: the owner role that migrations
-- run as, and the restricted role the servers connect as (ARCHITECTURE.md, tenant
-- isolation). The same roles as scripts/services.sh makes for ./start.sh. Passwords come
-- from the container's environment (docker-compose.yml, from docker/.env); an unset one
-- leaves :'...' unexpanded and stops the initialisation.
\set ON_ERROR_STOP on
\getenv owner_password DB_OWNER_PASSWORD
\getenv app_password DB_APP_PASSWORD
SELECT format('CREATE ROLE kurobe_owner LOGIN CREATEROLE PASSWORD %L', :'owner_password') \gexec
SELECT format('CREATE ROLE kurobe_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L', :'app_password') \gexec
CREATE DATABASE kurobe OWNER kurobe_owner;
