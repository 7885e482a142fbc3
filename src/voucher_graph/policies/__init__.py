"""The policy layer: Oso set-up, the SQL data-filtering adapter, authorization gates."""
