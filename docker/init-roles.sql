-- Runs once when the Postgres container initialises: the owner role that migrations run as
-- and the restricted role the server connects as (see ARCHITECTURE.md, tenant isolation).
CREATE ROLE kurobe_owner LOGIN CREATEROLE PASSWORD 'kurobe_owner';
CREATE ROLE kurobe_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD 'kurobe_app';
CREATE DATABASE kurobe OWNER kurobe_owner;
