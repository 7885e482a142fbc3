-- PostGraphile's own plain tables (schema pgl) and who sees what (pgl_private), for
-- scripts/bench_postgraphile.py. Only pgl is exposed; the views say DOMAIN.md's
-- visibility rules in SQL. Being owned by the loading superuser, they read pgl
-- without row-level security, so the policies built on them do not recurse.
DROP SCHEMA IF EXISTS pgl CASCADE;
DROP SCHEMA IF EXISTS pgl_private CASCADE;
CREATE SCHEMA pgl;
CREATE SCHEMA pgl_private;

CREATE TABLE pgl.services (
  id text COLLATE "C" PRIMARY KEY, organizer_id text COLLATE "C" NOT NULL, name text NOT NULL);
CREATE TABLE pgl.contents (
  id text COLLATE "C" PRIMARY KEY,
  service_id text COLLATE "C" NOT NULL REFERENCES pgl.services,
  name text NOT NULL, unit text NOT NULL);
CREATE TABLE pgl.customers (
  id text COLLATE "C" PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL,
  ssn text NOT NULL UNIQUE,
  first_name_lower text COLLATE "C" NOT NULL, last_name_lower text COLLATE "C" NOT NULL);
CREATE TABLE pgl.customer_numbers (
  provider_id text COLLATE "C" NOT NULL,
  customer_id text COLLATE "C" NOT NULL REFERENCES pgl.customers,
  number text NOT NULL, PRIMARY KEY (provider_id, customer_id));
CREATE TABLE pgl.purchasing_powers (
  id text COLLATE "C" PRIMARY KEY, kind text NOT NULL,
  customer_id text COLLATE "C" NOT NULL REFERENCES pgl.customers,
  organizer_id text COLLATE "C" NOT NULL,
  service_id text COLLATE "C" NOT NULL REFERENCES pgl.services,
  voucher_number text NOT NULL UNIQUE, valid_from date NOT NULL, valid_to date NOT NULL,
  granted_amount numeric);
CREATE TABLE pgl.purchasing_power_contents (
  purchasing_power_id text COLLATE "C" NOT NULL REFERENCES pgl.purchasing_powers,
  content_id text COLLATE "C" NOT NULL REFERENCES pgl.contents,
  unit_value numeric NOT NULL, granted_units numeric NOT NULL,
  PRIMARY KEY (purchasing_power_id, content_id));
CREATE TABLE pgl.reservations (
  id text COLLATE "C" PRIMARY KEY,
  purchasing_power_id text COLLATE "C" NOT NULL REFERENCES pgl.purchasing_powers,
  customer_id text COLLATE "C" NOT NULL REFERENCES pgl.customers,
  content_id text COLLATE "C" NOT NULL REFERENCES pgl.contents,
  provider_id text COLLATE "C" NOT NULL, valid_from date NOT NULL, valid_to date);
CREATE TABLE pgl.events (
  id text COLLATE "C" PRIMARY KEY,
  purchasing_power_id text COLLATE "C" NOT NULL REFERENCES pgl.purchasing_powers,
  customer_id text COLLATE "C" NOT NULL REFERENCES pgl.customers,
  content_id text COLLATE "C" NOT NULL REFERENCES pgl.contents,
  provider_id text COLLATE "C" NOT NULL, service_date date NOT NULL,
  units numeric NOT NULL, unit_price numeric NOT NULL, description text NOT NULL,
  status text NOT NULL, recorded_on date NOT NULL, approved_on date,
  deleted boolean NOT NULL);

CREATE INDEX ON pgl.contents (service_id);
CREATE INDEX ON pgl.customers (last_name_lower, first_name_lower, id);
CREATE INDEX ON pgl.customer_numbers (customer_id);
CREATE INDEX ON pgl.purchasing_powers (customer_id);
CREATE INDEX ON pgl.purchasing_powers (service_id);
CREATE INDEX ON pgl.purchasing_powers (organizer_id, service_id);
CREATE INDEX ON pgl.purchasing_power_contents (content_id);
CREATE INDEX ON pgl.reservations (customer_id);
CREATE INDEX ON pgl.reservations (purchasing_power_id);
CREATE INDEX ON pgl.reservations (provider_id);
CREATE INDEX ON pgl.reservations (content_id);
CREATE INDEX ON pgl.events (customer_id, service_date);
CREATE INDEX ON pgl.events (purchasing_power_id);
CREATE INDEX ON pgl.events (provider_id);
CREATE INDEX ON pgl.events (content_id);

-- Who is asking: not exposed by PostGraphile (only schema pgl is).
CREATE TABLE pgl_private.users (
  id text COLLATE "C" PRIMARY KEY, role text NOT NULL,
  provider_id text COLLATE "C", organizer_id text COLLATE "C");
CREATE TABLE pgl_private.grants (
  user_id text COLLATE "C" NOT NULL, organizer_id text COLLATE "C" NOT NULL,
  service_id text COLLATE "C" NOT NULL, PRIMARY KEY (user_id, organizer_id, service_id));
CREATE TABLE pgl_private.config (window_start date NOT NULL);

CREATE FUNCTION pgl_private.viewer_id() RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('jwt.claims.sub', true), '') $$;

-- Rules B and C: the purchasing powers a user manages.
CREATE VIEW pgl_private.managed AS
  SELECT g.user_id, pp.id AS pp_id, pp.customer_id
    FROM pgl_private.grants g JOIN pgl.purchasing_powers pp
      ON pp.organizer_id = g.organizer_id AND pp.service_id = g.service_id
  UNION ALL
  SELECT u.id, pp.id, pp.customer_id
    FROM pgl_private.users u JOIN pgl.purchasing_powers pp ON pp.organizer_id = u.organizer_id
   WHERE u.role = 'ADMIN';
-- Who sees which customer: rule A (events, reservations of the provider in the window),
-- then B and C.
CREATE VIEW pgl_private.visible_customers AS
  SELECT u.id AS user_id, e.customer_id
    FROM pgl_private.users u JOIN pgl.events e ON e.provider_id = u.provider_id
   WHERE NOT e.deleted AND e.service_date >= (SELECT window_start FROM pgl_private.config)
  UNION ALL
  SELECT u.id, r.customer_id
    FROM pgl_private.users u JOIN pgl.reservations r ON r.provider_id = u.provider_id
   WHERE r.valid_to IS NULL OR r.valid_to >= (SELECT window_start FROM pgl_private.config)
  UNION ALL
  SELECT user_id, customer_id FROM pgl_private.managed;
-- The purchasing powers in a visible customer's lists.
CREATE VIEW pgl_private.listed_purchasing_powers AS
  SELECT u.id AS user_id, r.purchasing_power_id AS pp_id
    FROM pgl_private.users u JOIN pgl.reservations r ON r.provider_id = u.provider_id
  UNION ALL
  SELECT u.id, e.purchasing_power_id
    FROM pgl_private.users u JOIN pgl.events e ON e.provider_id = u.provider_id
   WHERE NOT e.deleted
  UNION ALL
  SELECT user_id, pp_id FROM pgl_private.managed;
