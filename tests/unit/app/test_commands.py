"""``python -m app``, run as an operator runs it: the command list with summaries, unknown commands and
usage errors, and ``hosts add`` creating an account on a SQLite file without ever printing the password."""

from __future__ import annotations

import ast
import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from app.settings import PROJECT_ROOT
from handoff.hosts import Host, HostStore
from handoff.roles import Role
from storage.store import Store

PYTHON = PROJECT_ROOT / ".venv" / "app" / "bin" / "python"
COMMANDS = PROJECT_ROOT / "app" / "commands"
PASSWORD = "Lots-lösen-2026!"


def _app(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    python = PYTHON if PYTHON.exists() else Path(sys.executable)
    return subprocess.run([str(python), "-m", "app", *args], cwd=PROJECT_ROOT, env={**os.environ, **env},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False)


def _summaries() -> dict[str, str]:
    found = {}
    for path in sorted(COMMANDS.glob("*.py")):
        if path.stem != "__init__":
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
            found[path.stem] = doc.strip().splitlines()[0]
    return found


def _host(database_url: str, email: str, password: str) -> tuple[Host | None, Host | None]:
    async def main() -> tuple[Host | None, Host | None]:
        store = Store(database_url)
        try:
            hosts = HostStore(store)
            return await hosts.by_email(email), await hosts.authenticate(email, password)
        finally:
            await store.close()

    return asyncio.run(main())


def test_help_lists_every_command_with_its_summary() -> None:
    result = _app("--help")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("usage: python -m app <command>")
    summaries = _summaries()
    assert {"hosts", "run", "retention", "validate"} <= set(summaries)
    for name, summary in summaries.items():
        assert any(line.split()[:1] == [name] and line.rstrip().endswith(summary) for line in lines), name


def test_no_command_prints_the_usage_and_exits_2() -> None:
    result = _app()
    assert result.returncode == 2
    assert "usage: python -m app <command>" in result.stdout


def test_an_unknown_command_exits_2_with_a_message() -> None:
    result = _app("frobnicate", "--now")
    assert result.returncode == 2
    assert "unknown command 'frobnicate'" in result.stderr
    assert "python -m app --help" in result.stderr


def test_the_commands_package_itself_is_not_a_command() -> None:
    """Fixed (app/__main__.py:28-31): `python -m app __init__` passes the check (``find_spec`` finds
    app/commands/__init__.py), then ``import_module("app.commands.__init__").main`` raises
    AttributeError: a traceback and exit code 1 instead of "unknown command" and exit code 2."""
    result = _app("__init__")
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    assert "unknown command" in result.stderr


@pytest.mark.parametrize("role", [[], ["--role", "editor"], ["--role", "owner"]])
def test_hosts_add_without_municipality_or_with_an_unknown_role_is_a_usage_error(
        tmp_path: Path, role: list[str]) -> None:
    database = tmp_path / "hosts.sqlite"
    result = _app("hosts", "add", "--email", "anna@boden.example", "--name", "Anna", *role,
                  DATABASE_URL=f"sqlite+aiosqlite:///{database}", HOST_PASSWORD=PASSWORD)
    assert result.returncode == 2
    assert "usage: python -m app hosts" in result.stderr
    assert ("--municipality" if role[-1:] != ["owner"] else "invalid choice: 'owner'") in result.stderr
    assert not database.exists()


def test_hosts_add_creates_a_host_who_can_log_in_and_never_prints_the_password(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hosts.sqlite'}"
    email = f"anna-{uuid.uuid4().hex[:6]}@boden.example"
    result = _app("hosts", "add", "--email", email.upper(), "--name", "Anna", "--municipality", "boden",
                  DATABASE_URL=url, HOST_PASSWORD=PASSWORD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Created host {email} (boden)."
    editor = _app("hosts", "add", "--email", "erik@boden.example", "--name", "Erik", "--municipality", "boden",
                  "--role", "editor", DATABASE_URL=url, HOST_PASSWORD=PASSWORD)
    assert editor.stdout.strip() == "Created editor erik@boden.example (boden).", editor.stderr
    assert PASSWORD not in result.stdout + result.stderr
    found, logged_in = _host(url, email, PASSWORD)
    assert found is not None and (found.first_name, found.municipality, found.role) == ("Anna", "boden", Role.HOST)
    assert logged_in == found


def test_hosts_add_refuses_a_second_account_and_a_short_password_without_printing_it(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hosts.sqlite'}"
    first = _app("hosts", "add", "--email", "lea@region.example", "--name", "Lea", "--role", "admin",
                 DATABASE_URL=url, HOST_PASSWORD=PASSWORD)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "Created admin lea@region.example (all municipalities)."
    again = _app("hosts", "add", "--email", "lea@region.example", "--name", "Lea", "--role", "regional_admin",
                 DATABASE_URL=url, HOST_PASSWORD=PASSWORD + "2")
    short = _app("hosts", "add", "--email", "bo@boden.example", "--name", "Bo", "--municipality", "boden",
                 DATABASE_URL=url, HOST_PASSWORD="kort-lösen")
    assert (again.returncode, short.returncode) == (1, 1)
    assert "Not created: a host with e-mail lea@region.example exists already" in again.stderr
    assert "Not created: the password must have at least 12 characters" in short.stderr
    for result, password in ((first, PASSWORD), (again, PASSWORD + "2"), (short, "kort-lösen")):
        assert password not in result.stdout + result.stderr


def test_hosts_add_records_the_languages_the_host_speaks_and_refuses_unknown_ones_before_the_password(
        tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hosts.sqlite'}"
    email = f"olena-{uuid.uuid4().hex[:6]}@boden.example"
    result = _app("hosts", "add", "--email", email, "--name", "Olena", "--municipality", "boden",
                  "--languages", "uk, PL,sv", DATABASE_URL=url, HOST_PASSWORD=PASSWORD)
    assert result.stdout.strip() == f"Created host {email} (boden, speaks sv,pl,uk).", result.stderr
    found, _ = _host(url, email, PASSWORD)
    assert found is not None and found.languages == ("sv", "pl", "uk")
    # No HOST_PASSWORD and no terminal: a usage error must come before the password prompt would.
    unknown = _app("hosts", "add", "--email", "bo@boden.example", "--name", "Bo", "--municipality", "boden",
                   "--languages", "sv,ru", DATABASE_URL=url, HOST_PASSWORD="")
    assert unknown.returncode == 2 and "unknown language ru" in unknown.stderr
