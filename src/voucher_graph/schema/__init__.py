"""The GraphQL schema: Strawberry types and resolvers, per domain."""
