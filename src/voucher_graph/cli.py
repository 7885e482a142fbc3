"""The `voucher-graph` command: serve, load, token, schema, generate (CONTRACT.md)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from . import cli_help
from .settings import DEMO_DATABASE_PATH, MIN_SECRET_LENGTH, Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="voucher-graph", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the GraphQL API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--database-url")
    serve.add_argument("--demo", action="store_true", help="embedded SQLite with demo data")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])

    load = commands.add_parser("load", help="load a world file")
    load.add_argument("--database-url")
    load.add_argument("--replace", action="store_true", help="replace existing data")
    load.add_argument("world", type=Path)

    token = commands.add_parser("token", help="print a signed bearer token")
    token.add_argument("user_id")
    token.add_argument("--ttl", type=int, default=3600, help="seconds")

    commands.add_parser("schema", help="print the GraphQL SDL")
    trusted = commands.add_parser(
        "trusted-documents", help="build a trusted-documents manifest from .graphql files"
    )
    trusted.add_argument("folder", type=Path)
    trusted.add_argument("--output", "-o", type=Path)
    cli_help.describe(parser)

    generate = commands.add_parser("generate", help="write a synthetic world of N customers")
    generate.add_argument("--customers", type=int, required=True)
    generate.add_argument("--seed", type=int, default=1)
    generate.add_argument("--database-url")
    generate.add_argument("--replace", action="store_true", help="replace existing data")

    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command == "schema":
            from .schema.build import build_schema

            print(build_schema().as_str())
            return 0
        if args.command == "trusted-documents":
            from .cli_help import write_manifest

            return write_manifest(args.folder, args.output)
        if args.command == "token":
            return _token(settings, args.user_id, args.ttl)
        if args.command == "load":
            if args.database_url:
                settings = settings.with_changes(database_url=args.database_url)
            return asyncio.run(_load(settings, args.world, replace=args.replace))
        if args.command == "serve":
            return _serve(settings, args)
        if args.command == "generate":
            if args.database_url:
                settings = settings.with_changes(database_url=args.database_url)
            from .cli_generate import run_generate

            return asyncio.run(
                run_generate(settings, args.customers, args.seed, replace=args.replace)
            )
    except SettingsError as exc:
        print(f"voucher-graph: {exc}", file=sys.stderr)
        return 2
    return 1


def _token(settings: Settings, user_id: str, ttl: int) -> int:
    from .auth import issue_token

    secret = settings.jwt_secret
    if not secret:
        from .demo_setup import find_demo_secret

        found = find_demo_secret(settings.database_url)
        if found is None:
            raise SettingsError("VOUCHER_GRAPH_JWT_SECRET is not set (nor is there a demo secret)")
        secret, path = found
        print(f"voucher-graph: signed with the demo secret in {path}", file=sys.stderr)
    if not 0 < ttl <= settings.jwt_max_ttl_seconds:
        raise SettingsError(
            f"--ttl must be between 1 and {settings.jwt_max_ttl_seconds} seconds"
            " (VOUCHER_GRAPH_JWT_MAX_TTL_SECONDS)"
        )
    print(
        issue_token(
            secret,
            user_id,
            ttl,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
    )
    return 0


async def _load(settings: Settings, path: Path, *, replace: bool) -> int:
    from .data.engine import create_engine, session_factory
    from .data.migrate import upgrade
    from .data.writer import clear, has_data, refresh_statistics, write_world
    from .world.validate import WorldError, validate_world

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"voucher-graph: cannot read {path}: {exc}", file=sys.stderr)
        return 2

    def progress(label: str, count: int) -> None:
        print(f"  {label}: {count}", file=sys.stderr)

    print(f"validating {path} ...", file=sys.stderr)
    try:
        world = validate_world(raw, progress=progress)
    except WorldError as exc:
        print(f"voucher-graph: refused {path}: {exc}", file=sys.stderr)
        return 2
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session, session.begin():
            if await has_data(session):
                if not replace:
                    print(
                        "voucher-graph: the database already holds data; use --replace",
                        file=sys.stderr,
                    )
                    return 2
                await clear(session)
            print("writing ...", file=sys.stderr)
            await write_world(session, world, progress=progress)
        # The planner needs the new sizes (PostgreSQL): see refresh_statistics.
        await refresh_statistics(engine)
    finally:
        await engine.dispose()
    print(f"loaded {path}", file=sys.stderr)
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    if args.database_url:
        settings = settings.with_changes(database_url=args.database_url)
    if args.demo:
        import os

        if not args.database_url and not os.environ.get("VOUCHER_GRAPH_DATABASE_URL"):
            settings = settings.with_changes(database_url=f"sqlite:///{DEMO_DATABASE_PATH}")
        # The demo needs tokens it can print; a configured strong secret is kept (the
        # workers, built by asgi.py, refuse a weak one), else the one beside the demo
        # database (so that tokens outlive a restart).
        from .demo_setup import demo_secret, secret_path

        strong = settings.jwt_secret and len(settings.jwt_secret) >= MIN_SECRET_LENGTH
        secret = settings.jwt_secret if strong else demo_secret(secret_path(settings.database_url))
        settings = settings.with_changes(demo=True, jwt_secret=secret)
    settings.check_serving()
    # The packaged policy must be complete before anything is served (README "The
    # policy"): a missing rule is refused here, by name, not at the first request.
    from .policies.interface import PolicyError
    from .policies.oso_setup import create_oso

    try:
        create_oso()
    except PolicyError as exc:
        print(f"voucher-graph: {exc}", file=sys.stderr)
        return 2
    from .demo_setup import check_port_free

    check_port_free(args.host, args.port)  # before any token is printed
    asyncio.run(_prepare(settings, demo=args.demo, host=args.host, port=args.port))

    # Workers are separate processes: they rebuild the app from the environment.
    env_for_workers = {
        "VOUCHER_GRAPH_DATABASE_URL": settings.database_url,
        "VOUCHER_GRAPH_JWT_SECRET": settings.jwt_secret or "",
    }
    if settings.today:
        env_for_workers["VOUCHER_GRAPH_TODAY"] = settings.today.isoformat()
    import os

    os.environ.update(env_for_workers)
    from .logging_setup import configure_logging, uvicorn_log_config

    configure_logging(args.log_level)
    options = {
        "log_level": args.log_level,
        # JSON lines in every worker; one line per request replaces uvicorn's access log.
        "log_config": uvicorn_log_config(args.log_level),
        "access_log": False,
    }
    from .web.workers import APP, Workers, reuse_port_supported

    if args.workers > 1 and reuse_port_supported():
        # A socket per worker, so that kept-alive connections spread over all of them.
        return Workers(args.workers, args.host, args.port, options).run()
    uvicorn.run(APP, host=args.host, port=args.port, workers=args.workers, **options)
    return 0


async def _prepare(settings: Settings, *, demo: bool, host: str, port: int) -> None:
    """Apply migrations; for the demo, fill an empty database and print tokens."""
    from .auth import issue_token
    from .data.engine import create_engine, session_factory
    from .data.migrate import upgrade
    from .data.writer import has_data, write_world
    from .domain.dates import helsinki_today

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        if not demo:
            return
        from .world.demo import demo_world
        from .world.validate import validate_world

        today = settings.today or helsinki_today(datetime.now(UTC))
        async with session_factory(engine)() as session, session.begin():
            if not await has_data(session):
                print("filling the demo database ...", file=sys.stderr)
                await write_world(session, validate_world(demo_world(today)))
            from .data.reads import users as all_users

            users = await all_users(session)
    finally:
        await engine.dispose()
    assert settings.jwt_secret is not None
    print(f"\nGraphiQL: http://{host}:{port}/graphql\n")
    hours = settings.jwt_max_ttl_seconds // 3600
    print(f"Paste one of these into the token bar above GraphiQL (valid for {hours} h):")
    from .demo_setup import printed_users

    for user in printed_users(users):
        token = issue_token(settings.jwt_secret, user.id, settings.jwt_max_ttl_seconds)
        print(f"  {user.role:<9} {user.id:<14} {token}")
    print()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
