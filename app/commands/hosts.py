"""Manage relocation hosts' console accounts (add a host or an admin).

    python -m app hosts add --email anna@boden.se --name Anna --municipality boden
    python -m app hosts add --email lead@region.se --name Lea --admin

The password is asked for at the prompt (or read from HOST_PASSWORD for scripted set-ups), never
taken as an argument, so it does not land in shell history or process lists.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from app.database import opened
from app.settings import settings
from handoff.hosts import Host, HostStore


async def _add(args: argparse.Namespace, password: str) -> Host:
    async with opened(settings()) as store:
        return await HostStore(store).add(args.email, args.name, password, args.municipality, args.admin)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app hosts", description="Manage host accounts.")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="create a host account")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True, help="first name, shown to newcomers")
    add.add_argument("--municipality", help="the municipality the host works for")
    add.add_argument("--admin", action="store_true", help="sees every municipality")
    args = parser.parse_args(argv)
    if not args.admin and not args.municipality:
        parser.error("a host needs --municipality (or --admin)")
    password = os.environ.get("HOST_PASSWORD") or getpass.getpass("Password (at least 12 characters): ")
    try:
        host = asyncio.run(_add(args, password))
    except ValueError as exc:
        print(f"Not created: {exc}", file=sys.stderr)
        return 1
    print(f"Created host {host.email} ({'admin' if host.is_admin else host.municipality}).")
    return 0
