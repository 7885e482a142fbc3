"""The HTTP front door's parts: GraphiQL, CORS, GraphQL over HTTP, trusted documents."""
