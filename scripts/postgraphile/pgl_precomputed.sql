-- The rule views of pgl.sql materialized per user at load time: row-level security
-- then probes one indexed table (PostGraphile at its fastest, an ACL table).
CREATE TABLE pgl_private.visible_customers_set AS
  SELECT DISTINCT user_id, customer_id FROM pgl_private.visible_customers;
ALTER TABLE pgl_private.visible_customers_set ADD PRIMARY KEY (user_id, customer_id);
CREATE TABLE pgl_private.managed_set AS SELECT DISTINCT user_id, pp_id FROM pgl_private.managed;
ALTER TABLE pgl_private.managed_set ADD PRIMARY KEY (user_id, pp_id);
CREATE TABLE pgl_private.listed_purchasing_powers_set AS
  SELECT DISTINCT user_id, pp_id FROM pgl_private.listed_purchasing_powers;
ALTER TABLE pgl_private.listed_purchasing_powers_set ADD PRIMARY KEY (user_id, pp_id);
