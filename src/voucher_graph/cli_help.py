"""What `voucher-graph --help` says: every option's default and the environment it reads."""

from __future__ import annotations

import argparse

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
)

EPILOGS = {
    "serve": "environment:\n" + DATABASE + TOKENS + SERVING,
    "load": "environment:\n" + DATABASE,
    "token": "environment:\n"
    + TOKENS
    + "  Without VOUCHER_GRAPH_JWT_SECRET, the demo's secret (voucher-graph-demo.secret in\n"
    "  this folder, made by `serve --demo`) signs the token.\n",
    "schema": "",
}

OPTIONS = {
    ("serve", "--host"): "address to listen on (default: 127.0.0.1)",
    ("serve", "--port"): "port to listen on (default: 8000)",
    ("serve", "--workers"): "worker processes (default: 1)",
    ("serve", "--database-url"): "database (default: VOUCHER_GRAPH_DATABASE_URL, below)",
    ("serve", "--demo"): "embedded SQLite file voucher-graph-demo.db, filled with a demo world "
    "when empty; prints the GraphiQL address and tokens (default: off)",
    ("serve", "--log-level"): "JSON log lines from this level (default: info)",
    ("load", "--database-url"): "database (default: VOUCHER_GRAPH_DATABASE_URL, below)",
    ("load", "--replace"): "replace the world's data (the access log is kept) (default: off)",
    ("load", "world"): "the world file (JSON, the contract's format)",
    ("token", "user_id"): "the user the token names (its `sub`)",
    ("token", "--ttl"): "seconds until the token expires (default: 3600)",
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
