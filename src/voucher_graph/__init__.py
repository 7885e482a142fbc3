"""voucher-graph: a GraphQL API over Finnish service-voucher (palveluseteli) data."""
