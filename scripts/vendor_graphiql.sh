#!/usr/bin/env bash
# Refresh the vendored GraphiQL, React and ReactDOM from the npm registry (npm pack).
set -euo pipefail
GRAPHIQL=3.9.0
REACT=18.3.1
cd "$(dirname "$0")/.."
target=src/voucher_graph/web/static/graphiql
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
for name in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
  mkdir -p "$work/$name" && tar xzf "$work/$name.tgz" -C "$work/$name"
done
cp "$work/graphiql-$GRAPHIQL/package/graphiql.min.js" "$work/graphiql-$GRAPHIQL/package/graphiql.min.css" "$target/"
cp "$work/react-$REACT/package/umd/react.production.min.js" "$target/"
cp "$work/react-dom-$REACT/package/umd/react-dom.production.min.js" "$target/"
cp "$work/graphiql-$GRAPHIQL/package/LICENSE" "$target/LICENSE.graphiql"
cp "$work/react-$REACT/package/LICENSE" "$target/LICENSE.react"
cp "$work/react-dom-$REACT/package/LICENSE" "$target/LICENSE.react-dom"
(cd "$target" && sha256sum ./*.js ./*.css)
