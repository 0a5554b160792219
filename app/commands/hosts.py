"""Manage console accounts: hosts, FAQ editors, the admin and the regional admin (``handoff.roles``).

    python -m app hosts add --email anna@boden.se --name Anna --municipality boden --languages sv,en,pl
    python -m app hosts add --email erik@boden.se --name Erik --municipality boden --role editor
    python -m app hosts add --email lead@region.se --name Lea --role admin
    python -m app hosts add --email faq@region.se --name Rut --role regional_admin

The password is asked for at the prompt (or read from HOST_PASSWORD for scripted set-ups), never
taken as an argument, so it does not land in shell history or process lists. ``--languages`` are the
languages the host speaks (conversations in them are offered to the host first); hosts change them,
and their meeting link, on the console's profile page.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from app.database import opened
from app.settings import settings
from base.definitions import LANGUAGES
from handoff.hosts import Host, HostStore
from handoff.roles import Role


async def _add(args: argparse.Namespace, password: str) -> Host:
    async with opened(settings()) as store:
        return await HostStore(store).add(args.email, args.name, password, args.municipality, Role(args.role),
                                          languages=args.languages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app hosts", description="Manage host accounts.")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="create a host account")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True, help="first name, shown to newcomers")
    add.add_argument("--municipality", help="the municipality a host or an editor works for")
    add.add_argument("--role", choices=[role.value for role in Role], default=Role.HOST.value,
                     help="host (default) or editor of one municipality; admin or regional_admin of the region")
    add.add_argument("--languages", default="", metavar="sv,en,pl",
                     help=f"the languages the host speaks, comma-separated, among {','.join(LANGUAGES)}")
    args = parser.parse_args(argv)
    if not Role(args.role).regional and not args.municipality:
        parser.error(f"a {args.role} needs --municipality")
    args.languages = [code.strip().lower() for code in args.languages.split(",") if code.strip()]
    unknown = sorted(set(args.languages) - set(LANGUAGES))
    if unknown:  # said before the password is asked for
        parser.error(f"unknown language {', '.join(unknown)}; choose among {','.join(LANGUAGES)}")
    password = os.environ.get("HOST_PASSWORD") or getpass.getpass("Password (at least 12 characters): ")
    try:
        host = asyncio.run(_add(args, password))
    except ValueError as exc:
        print(f"Not created: {exc}", file=sys.stderr)
        return 1
    speaks = f", speaks {','.join(host.languages)}" if host.languages else ""
    print(f"Created {host.role.value} {host.email} ({host.scope or 'all municipalities'}{speaks}).")
    return 0
