"""`vaimanasoft` command line: the one composition root (imports the other packages in its commands)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence

from core.errors import ConfigurationError
from core.settings import Settings, get_settings


def _require_services(settings: Settings) -> None:
    if not settings.DATABASE_URL or not settings.REDIS_URL:
        raise SystemExit(
            "DATABASE_URL and REDIS_URL must both be set for this command "
            "(or run `vaimanasoft up`, which starts embedded PostgreSQL and Redis)."
        )


def _running_services(settings: Settings) -> Settings:
    """Without DATABASE_URL/REDIS_URL, the services of a `vaimanasoft up` running on this data folder
    (embedded PostgreSQL and Redis, as its runtime.json names them)."""
    runtime = settings.DATA_DIR / "runtime.json"
    if (settings.DATABASE_URL and settings.REDIS_URL) or not runtime.exists():
        return settings
    urls = json.loads(runtime.read_text())
    os.environ.setdefault("DATABASE_URL", urls["database_url"])
    os.environ.setdefault("REDIS_URL", urls["redis_url"])
    get_settings.cache_clear()
    return get_settings()


def cmd_serve(args: argparse.Namespace) -> None:
    """Run the HTTP API."""
    from functools import partial

    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    from api.app import create_app

    settings = get_settings()
    _require_services(settings)
    host = args.host or settings.HOST
    port = args.port or settings.PORT
    workers = args.workers or settings.API_WORKERS
    os.environ["VAIMANASOFT_PROCESS"] = "api"
    if workers > 1:
        metrics_dir = settings.DATA_DIR / f"api-metrics-{os.getpid()}"
        metrics_dir.mkdir(parents=True, exist_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    loader = AppLoader(factory=partial(create_app, settings))
    app = loader.load()
    app.prepare(
        host=host, port=port, workers=workers, single_process=workers == 1, access_log=False, motd=False
    )
    if workers == 1:
        Sanic.serve_single(primary=app)
    else:
        Sanic.serve(primary=app, app_loader=loader)


def cmd_worker(args: argparse.Namespace) -> None:
    """Run Dramatiq worker processes (replaces this process with `dramatiq actors ...`)."""
    settings = get_settings()
    _require_services(settings)
    argv = [
        sys.executable,
        "-m",
        "dramatiq",
        "actors",
        "--processes",
        str(args.processes or settings.WORKER_PROCESSES),
        "--threads",
        str(args.threads or settings.WORKER_THREADS),
    ]
    if args.queues:
        argv += ["--queues", *args.queues]
    os.environ["VAIMANASOFT_PROCESS"] = "worker"
    os.environ["SECRET_KEY"] = settings.SECRET_KEY
    os.execv(sys.executable, argv)


def cmd_scheduler(args: argparse.Namespace) -> None:
    """Run the scheduler loop until SIGINT/SIGTERM."""
    settings = get_settings()
    # Before importing actors: importing them builds the broker, which needs the URLs.
    _require_services(settings)

    from actors import broker
    from core.logging import configure_logging
    from core.redis import sync_client
    from schedules.scheduler import Scheduler
    from schedules.table import cron_table

    configure_logging(settings.LOG_LEVEL, process="scheduler")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    scheduler = Scheduler(
        sync_client(settings.REDIS_URL),
        broker,
        cron_table(settings),
        lock_ttl_ms=settings.SCHEDULER_LOCK_TTL_MS,
    )
    scheduler.run_forever(stop)


def cmd_migrate(args: argparse.Namespace) -> None:
    """Apply pending database migrations (embedded PostgreSQL when DATABASE_URL is unset)."""
    from core import db

    settings = get_settings()
    if settings.DATABASE_URL:
        applied = asyncio.run(db.migrate(settings.DATABASE_URL))
    else:
        from core.embedded import EmbeddedPostgres

        pg = EmbeddedPostgres(settings.DATA_DIR / "postgres")
        was_running = pg.running_port() is not None
        url = pg.start()
        try:
            applied = asyncio.run(db.migrate(url))
        finally:
            if not was_running:
                pg.stop()
    print("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))


def cmd_createadmin(args: argparse.Namespace) -> None:
    """Create (or promote) a platform operator account."""
    from core import db
    from pipelines.auth import create_platform_admin

    settings = get_settings()
    _require_services(settings)
    password = args.password or os.environ.get("VAIMANASOFT_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    if len(password) < 8:
        raise SystemExit("password must have at least 8 characters")

    async def run() -> None:
        await db.init_db(settings)
        try:
            user = await create_platform_admin(
                args.email, password, args.name, args.org_name, settings.DEFAULT_PLAN.value
            )
            print(f"platform admin: {user.email} (user id {user.id}, org id {user.org_id})")  # type: ignore[attr-defined]
        finally:
            await db.close_db()

    asyncio.run(run())


def cmd_demo(args: argparse.Namespace) -> None:
    """Seed a demo organisation with a backdated history, or print its login when it exists."""
    from core import db
    from pipelines import demo

    settings = _running_services(get_settings())
    _require_services(settings)
    options = demo.DemoOptions(args.devices, args.days, args.events_per_device, args.seed, args.force_new)

    async def run() -> demo.DemoReport:
        await db.init_db(settings)
        try:
            return await demo.seed_demo(options, settings.SECRET_KEY, demo.ProgressLine(sys.stderr))
        finally:
            await db.close_db()

    report = asyncio.run(run())
    host = "127.0.0.1" if settings.HOST in ("0.0.0.0", "") else settings.HOST
    print(
        demo.summary(report, settings.PUBLIC_URL.rstrip("/") or f"http://{host}:{settings.PORT}"), flush=True
    )


def cmd_up(args: argparse.Namespace) -> None:
    """Start everything: embedded services when no URLs are set, migrations, API, worker, scheduler."""
    from core.supervisor import up

    up(get_settings(), host=args.host, port=args.port, demo=args.demo)


def cmd_nlq_role(args: argparse.Namespace) -> None:
    """(Re)create the natural-language query's restricted database role and its grants."""
    from core.db import close_db, init_db
    from pipelines.ai import reader

    settings = _running_services(get_settings())
    if not settings.DATABASE_URL:
        raise SystemExit("DATABASE_URL must be set (or run this beside a running `vaimanasoft up`)")

    async def run() -> str | None:
        await init_db(settings)
        try:
            return await reader.ensure_role()
        finally:
            await close_db()

    error = asyncio.run(run())
    if error:
        raise SystemExit(f"could not create the reader role: {error} (the database user needs CREATEROLE)")
    print("natural-language query reader role ready", flush=True)


def cmd_standin(args: argparse.Namespace) -> None:
    from standins import run

    run(args.name, args.options)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vaimanasoft", description="Vaimanasoft analytics platform")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("up", help="run the whole platform (embedded PostgreSQL/Redis unless URLs are set)")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument(
        "--demo",
        action="store_true",
        help="seed the demo organisation on first start (`vaimanasoft demo`) and print its login",
    )
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("serve", help="run the HTTP API")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--workers", type=int, default=None, help="API processes (default API_WORKERS)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run Dramatiq workers")
    p.add_argument("--processes", type=int, default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--queues", nargs="*", default=None)
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("scheduler", help="run the scheduler (cron table; one leader among several)")
    p.set_defaults(func=cmd_scheduler)

    p = sub.add_parser("migrate", help="apply database migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("createadmin", help="create a platform operator account")
    p.add_argument("--email", required=True)
    p.add_argument("--password", default=None, help="default: VAIMANASOFT_ADMIN_PASSWORD or a prompt")
    p.add_argument("--name", default="Platform admin")
    p.add_argument("--org-name", default="Platform")
    p.set_defaults(func=cmd_createadmin)

    p = sub.add_parser("demo", help="seed a demo organisation with a backdated history (prints its login)")
    p.add_argument("--devices", type=_positive, default=5_000, help="devices across both apps (default 5000)")
    p.add_argument("--days", type=_positive, default=90, help="days of history (default 90)")
    p.add_argument(
        "--events-per-device", type=_positive, default=40, help="average events per device (default 40)"
    )
    p.add_argument("--seed", type=int, default=None, help="random seed, for the same history again")
    p.add_argument(
        "--force-new", action="store_true", help="seed another demo organisation even if one exists"
    )
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "nlq-role",
        help="(re)create the natural-language query's restricted database role (needs CREATEROLE)",
    )
    p.set_defaults(func=cmd_nlq_role)

    p = sub.add_parser(
        "standin",
        help="run a local stand-in of an outside service (FCM, Stripe, ...) to try features without an account",
    )
    p.add_argument("name", help="the stand-in (see standins/ for the list)")
    p.add_argument("options", nargs=argparse.REMAINDER, help="its own options, e.g. --port 9100")
    p.set_defaults(func=cmd_standin)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except ConfigurationError as exc:
        raise SystemExit(f"configuration error: {exc.message}") from None


if __name__ == "__main__":
    main()
