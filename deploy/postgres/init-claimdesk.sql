-- Runs once when the postgres volume is first created: claimdesk's own role and database beside Temporal's.
CREATE ROLE claimdesk LOGIN PASSWORD 'claimdesk';
CREATE DATABASE claimdesk OWNER claimdesk;
\connect claimdesk
CREATE EXTENSION IF NOT EXISTS pg_trgm;
