"""Command line: `python -m bot <command>`; `python -m bot --help` lists the commands."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from datetime import UTC, datetime

from pydantic import ValidationError

from bot.portfolio.cli import register_portfolio_commands
from bot.reminders.cli import register_reminder_commands
from bot.settings import PROJECT_ROOT, get_settings


def _migrate(_: argparse.Namespace) -> int:
    from bot.persistence.migrate import upgrade_to_head

    upgrade_to_head(get_settings().database_url)
    print("database is at the newest schema")
    return 0


def _seed_demo(_: argparse.Namespace) -> int:
    from bot.demo.seed import seed_demo_collectors, seed_demo_portfolio
    from bot.persistence import session_scope

    settings = get_settings()
    with session_scope() as session:
        added = seed_demo_portfolio(session, settings=settings, as_of=datetime.now(UTC).date())
        users = seed_demo_collectors(session) if settings.environment == "development" else 0
    print(
        f"demo portfolio: {added} cardholders added" if added else "demo portfolio: already there"
    )
    if users:
        print(f"demo console users: {users} added (make demo-accounts shows them)")
    return 0


def _demo_accounts(_: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot.accounts.models import CardAccount
    from bot.demo.seed import demo_cardholders
    from bot.money import format_money
    from bot.persistence import session_scope

    with session_scope() as session:
        stored = {a.external_id: a for a in session.scalars(select(CardAccount))}
    if get_settings().environment == "development":
        from bot.demo.seed import DEMO_COLLECTORS, DEMO_PASSWORD

        print(f"Console (/console) users, password {DEMO_PASSWORD!r}:")
        for username, name, role in DEMO_COLLECTORS:
            print(f"  {username:<8} {role:<11} {name}")
        print()
    header = f"{'phone':<16} {'card':<6} {'date of birth':<13} {'stage':<8} {'overdue':>14}  name"
    print(header)
    print("-" * len(header))
    for demo in demo_cardholders():
        account = stored.get(f"{demo.external_id}-CARD")
        overdue = (
            format_money(account.overdue_amount_minor, account.currency)
            if account
            else "not seeded"
        )
        print(
            f"{demo.phone_e164:<16} {demo.card_last4:<6} {demo.date_of_birth.isoformat():<13} "
            f"{demo.stage:<8} {overdue:>14}  {demo.full_name}"
        )
    return 0


def _create_user(args: argparse.Namespace) -> int:
    import getpass

    from sqlalchemy.exc import IntegrityError

    from bot.collectors.models import Role
    from bot.collectors.service import WeakPassword, create_collector
    from bot.persistence import session_scope

    password = args.password or getpass.getpass(f"password for {args.username}: ")
    try:
        with session_scope() as session:
            create_collector(
                session,
                username=args.username,
                display_name=args.name or args.username,
                role=Role(args.role),
                password=password,
            )
    except WeakPassword as error:
        print(f"refused: {error}", file=sys.stderr)
        return 2
    except IntegrityError:
        print(f"refused: a user named {args.username!r} exists already", file=sys.stderr)
        return 2
    print(f"{args.role} {args.username} created")
    return 0


def _api_token(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot.collectors.models import Collector, SessionKind
    from bot.collectors.service import issue_session
    from bot.persistence import session_scope

    with session_scope() as session:
        collector = session.scalars(
            select(Collector).where(Collector.username == args.username)
        ).first()
        if collector is None:
            print(f"no user named {args.username!r}", file=sys.stderr)
            return 2
        issued = issue_session(session, collector=collector, kind=SessionKind.API)
    print(issued.token)
    return 0


def _run(_: argparse.Namespace) -> int:
    from bot.devstack import DevStack, Ports, StackFailed, StackSecrets

    settings = get_settings()
    ports = Ports(
        api=settings.api_port,
        rasa=_port(settings.rasa_url),
        actions=_port(settings.action_server_url),
    )
    stack = DevStack(
        ports=ports,
        env={},
        log_dir=PROJECT_ROOT / "var" / "log",
        secrets=StackSecrets.from_settings(settings),
    )
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    print("starting Rasa (loading the model takes about a minute), action server and api ...")
    try:
        stack.start()
    except StackFailed as error:
        print(f"could not start: {error}", file=sys.stderr)
        return 1
    sms_line = (
        f"Twilio (webhook {settings.public_base_url}/webhooks/twilio/sms)"
        if settings.twilio_configured
        else f"simulator at {stack.api_url}/simulator"
    )
    print(
        f"\n  Web chat     {stack.api_url}/chat\n"
        f"  SMS          {sms_line}\n"
        f"  API docs     {stack.api_url}/docs\n"
        f"  Rasa server  {stack.rasa_url}\n"
        f"  Logs         var/log/\n"
        f"  Test logins  make demo-accounts\n\nPress Ctrl-C to stop."
    )
    stopping.wait()
    print("\nstopping ...")
    stack.stop()
    print("stopped")
    return 0


def _port(url: str) -> int:
    from urllib.parse import urlsplit

    port = urlsplit(url).port
    if port is None:
        raise SystemExit(f"{url} names no port")
    return port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database to the newest schema").set_defaults(
        func=_migrate
    )
    commands.add_parser(
        "seed-demo", help="add the demo portfolio to an empty database"
    ).set_defaults(func=_seed_demo)
    commands.add_parser(
        "demo-accounts", help="print the demo cardholders and what passes their identity check"
    ).set_defaults(func=_demo_accounts)
    commands.add_parser("run", help="start Rasa, the action server and the api").set_defaults(
        func=_run
    )
    register_portfolio_commands(commands)
    register_reminder_commands(commands)
    users = commands.add_parser("users", help="console users").add_subparsers(
        dest="users", required=True
    )
    create = users.add_parser("create", help="create a collector or supervisor")
    create.add_argument("username")
    create.add_argument("--role", choices=["collector", "supervisor"], default="collector")
    create.add_argument("--name", help="display name")
    create.add_argument("--password", help="prompted for when absent (12 characters or more)")
    create.set_defaults(func=_create_user)
    token = users.add_parser("api-token", help="print a 90-day API token for the console JSON API")
    token.add_argument("username")
    token.set_defaults(func=_api_token)
    args = parser.parse_args(argv)
    # The database, logs and reports the commands write hold personal data: owner only.
    os.umask(0o077)
    try:
        return int(args.func(args))
    except ValidationError as error:
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"]).upper()
            print(f"configuration refused: {where + ': ' if where else ''}{problem['msg']}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
