"""Start the assistant: the Rasa server and the app server, and say where to open it (`make run`).

A server that dies is restarted (with back-off, and a line that says so) while the other keeps
serving — the app apologises and offers a host while Rasa is away. Ctrl-C, or SIGTERM from
systemd, stops both: the requests being handled are finished first.
"""

from __future__ import annotations

import argparse
import sys

from app.settings import settings
from app.stack import start


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m app run", description=__doc__.splitlines()[0]).parse_args(argv)
    config = settings()
    print("Starting the app server and the Rasa server (the first start loads models: ~30 s)...", flush=True)
    try:
        stack = start(config, say=lambda line: print(line, file=sys.stderr, flush=True))
    except (RuntimeError, TimeoutError, FileNotFoundError) as exc:
        print(f"Could not start: {exc}", file=sys.stderr)
        return 1
    print(
        f"""
The newcomer assistant is running.
  Web chat (demo page):   {config.app_url}/demo/boden   (all municipalities: {config.app_url}/)
  Host console:           {config.app_url}/console   (add hosts: .venv/app/bin/python -m app hosts add …)
  Chat in the terminal:   make chat
  Chat over HTTP:         curl -s {config.app_url}/api/chat -H 'content-type: application/json' \\
                            -d '{{"municipality": "boden", "language": "pl", \\
                                  "message": "Jak znaleźć mieszkanie w Boden?"}}'
  API docs:               {config.app_url}/docs
  Telegram / WhatsApp:    configure {config.channels_file} (README, "Connect Telegram and WhatsApp")
Press Ctrl-C to stop.""",
        flush=True,
    )
    try:
        stack.supervisor.wait()
        return 0
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    finally:
        stack.stop()

