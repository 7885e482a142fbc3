"""What `voucher-graph --help` says: every option's default and the environment it reads."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DATABASE = (
    "  VOUCHER_GRAPH_DATABASE_URL   sqlite:///file.db or postgresql://user@host/db\n"
    "                               (default: sqlite:///voucher-graph.db; with --demo\n"
    "                               sqlite:///voucher-graph-demo.db)\n"
)
TOKENS = (
    "  VOUCHER_GRAPH_JWT_SECRET     HS256 secret, 32 characters or more; required unless\n"
    "                               --demo, which keeps its own in voucher-graph-demo.secret\n"
    "  VOUCHER_GRAPH_JWT_ISSUER, VOUCHER_GRAPH_JWT_AUDIENCE\n"
    "                               iss / aud that tokens carry and must carry (default: none)\n"
)
SERVING = (
    "  VOUCHER_GRAPH_TODAY          YYYY-MM-DD taken as today (default: today in Helsinki)\n"
    "  VOUCHER_GRAPH_GRAPHIQL, VOUCHER_GRAPH_INTROSPECTION\n"
    "                               false turns GraphiQL / introspection off (default: true)\n"
    "  VOUCHER_GRAPH_CORS_ORIGINS   comma-separated browser origins allowed to call /graphql\n"
    "                               (default: none)\n"
    "  VOUCHER_GRAPH_PUBLIC_URL     the address clients reach the service at; printUrl is\n"
    "                               made under it (default: the request's own address)\n"
    "  VOUCHER_GRAPH_DATABASE_POOL_SIZE\n"
    "                               PostgreSQL connections each worker keeps open; more\n"
    "                               concurrent requests wait for one (default: 15)\n"
    "  VOUCHER_GRAPH_TRUSTED_DOCUMENTS\n"
    "                               a manifest (voucher-graph trusted-documents): only its\n"
    "                               documents are run (default: none, any document)\n"
    "  OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_EXPORTER, OTEL_SERVICE_NAME, ...\n"
    "                               OpenTelemetry's own: traces go out over OTLP/HTTP when\n"
    "                               an endpoint or exporter is set (default: no tracing)\n"
    "  PROMETHEUS_MULTIPROC_DIR     with --workers > 1, an empty folder so that /metrics\n"
    "                               sums every worker (prometheus-client's multiprocess mode)\n"
)

EPILOGS = {
    "serve": "environment:\n" + DATABASE + TOKENS + SERVING,
    "load": "environment:\n" + DATABASE,
    "token": "environment:\n"
    + TOKENS
    + "  Without VOUCHER_GRAPH_JWT_SECRET, the demo's secret (voucher-graph-demo.secret in\n"
    "  this folder, made by `serve --demo`) signs the token.\n",
    "schema": "",
    "trusted-documents": "Each *.graphql file under FOLDER (searched recursively) is one\n"
    "document; every one must parse and be valid against the schema. The manifest maps\n"
    '"sha256:<hex of the file\'s UTF-8 text>" to the text. Serve it with\n'
    "VOUCHER_GRAPH_TRUSTED_DOCUMENTS=manifest.json; clients then send\n"
    '{"documentId": "sha256:<hex>", "variables": {...}}.\n',
}

OPTIONS = {
    ("serve", "--host"): "address to listen on (default: 127.0.0.1)",
    ("serve", "--port"): "port to listen on (default: 8000)",
    ("serve", "--workers"): "worker processes, each with its own listening socket (default: 1)",
    ("serve", "--database-url"): "database (default: VOUCHER_GRAPH_DATABASE_URL, below)",
    ("serve", "--demo"): "embedded SQLite file voucher-graph-demo.db, filled with a demo world "
    "when empty; prints the GraphiQL address and tokens (default: off)",
    ("serve", "--log-level"): "JSON log lines from this level (default: info)",
    ("load", "--database-url"): "database (default: VOUCHER_GRAPH_DATABASE_URL, below)",
    ("load", "--replace"): "replace the world's data (the access log is kept) (default: off)",
    ("load", "world"): "the world file (JSON, the contract's format)",
    ("token", "user_id"): "the user the token names (its `sub`)",
    ("token", "--ttl"): "seconds until the token expires (default: 3600)",
    ("trusted-documents", "folder"): "folder holding the .graphql documents",
    ("trusted-documents", "--output"): "write the manifest here (default: standard output)",
}


def describe(parser: argparse.ArgumentParser) -> None:
    """Fill in the help of `parser`'s sub-commands: options with defaults, environment."""
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for name, command in action.choices.items():
            command.formatter_class = argparse.RawDescriptionHelpFormatter
            if EPILOGS.get(name):
                command.epilog = EPILOGS[name]
            for option in command._actions:
                key = option.option_strings[0] if option.option_strings else option.dest
                if (name, key) in OPTIONS:
                    option.help = OPTIONS[(name, key)]
    parser.epilog = "Each command's --help names its options' defaults and its environment."


def write_manifest(folder: Path, output: Path | None) -> int:
    """`voucher-graph trusted-documents FOLDER [-o FILE]`: the manifest as JSON."""
    from .schema.build import build_schema
    from .web.trusted_documents import build_manifest

    schema = build_schema()._schema
    manifest = build_manifest(folder, schema)
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
    for document_id, body in manifest.items():
        first = body.strip().splitlines()[0] if body.strip() else ""
        print(f"{document_id}  {first[:60]}", file=sys.stderr)
    return 0
