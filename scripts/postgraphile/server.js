// PostGraphile v4 over the `pgl` schema, for scripts/bench_postgraphile.py.
// Read-only, no GraphiQL, no query log; JWT `sub` becomes `jwt.claims.sub` and every
// request runs as the row-level-security role, as a PostGraphile deployment would.
"use strict";

const http = require("http");
const { postgraphile } = require("postgraphile");
const PgSimplifyInflectorPlugin = require("@graphile-contrib/pg-simplify-inflector");

const { DATABASE_URL, PGL_SCHEMA, PGL_ROLE, JWT_SECRET, HOST, PORT } = process.env;

const middleware = postgraphile(DATABASE_URL, PGL_SCHEMA, {
  appendPlugins: [PgSimplifyInflectorPlugin],
  simpleCollections: "both",
  disableDefaultMutations: true,
  disableQueryLog: true,
  graphiql: false,
  watchPg: false,
  retryOnInitFail: false,
  setofFunctionsContainNulls: false,
  legacyRelations: "omit",
  jwtSecret: JWT_SECRET,
  // Our tokens carry no `aud`; PostGraphile would otherwise require "postgraphile".
  jwtVerifyOptions: { algorithms: ["HS256"], audience: [] },
  pgDefaultRole: PGL_ROLE,
});

// The host is fixed by the caller to 127.0.0.1: this is a local benchmark.
http.createServer(middleware).listen(Number(PORT), HOST, () => {
  console.error(`postgraphile listening on http://${HOST}:${PORT}/graphql`);
});
