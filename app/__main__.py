"""``python -m app <command> [arguments]``: the one entry point of every command (see app/commands)."""

from __future__ import annotations

import importlib
import pkgutil
import signal
import sys

import app.commands


def _commands() -> dict[str, str]:
    """Each command's name and the first line of its docstring."""
    found = {}
    for module in pkgutil.iter_modules(app.commands.__path__):
        doc = importlib.import_module(f"app.commands.{module.name}").__doc__ or ""
        found[module.name] = doc.strip().splitlines()[0] if doc.strip() else ""
    return found


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    # Ctrl-C, and SIGTERM from a supervisor or an operator, stop every command the same way: the
    # servers, databases and rigs it started are stopped by their own context managers — even
    # where the shell started us with SIGINT ignored (background jobs of non-interactive shells).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print("usage: python -m app <command> [arguments]   (python -m app <command> --help for its own)\n")
        for name, summary in sorted(_commands().items()):
            print(f"  {name:<10} {summary}")
        return 0 if argv else 2
    name = argv[0]
    if name not in {module.name for module in pkgutil.iter_modules(app.commands.__path__)}:
        print(f"unknown command {name!r}; `python -m app --help` lists them", file=sys.stderr)
        return 2
    return int(importlib.import_module(f"app.commands.{name}").main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
