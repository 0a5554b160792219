"""Chat in the terminal with the running assistant, through its HTTP chat endpoint (`make chat`)."""

from __future__ import annotations

import argparse
import json
import sys

import httpx

from app.settings import settings


def _show(message: dict) -> None:
    if message.get("text"):
        print(f"bot> {message['text']}")
    for number, button in enumerate(message.get("buttons") or [], start=1):
        print(f"      [{number}] {button['title']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app chat", description=__doc__)
    parser.add_argument("--municipality", default=None, help="e.g. boden, lulea, skelleftea, jokkmokk")
    parser.add_argument("--language", default=None, help="your language hint, e.g. pl")
    parser.add_argument("--url", default=settings().app_url)
    parser.add_argument("--verbose", action="store_true", help="also print each message's JSON (FAQ metadata)")
    args = parser.parse_args(argv)
    token: str | None = None  # the server issues it with the first answer
    buttons: list[dict] = []
    print("Type a message (a number picks a button, /lang xx changes language, Ctrl-D quits).")
    with httpx.Client(timeout=60) as client:
        while True:
            try:
                text = input("you> ")
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if text.strip().isdigit() and 0 < int(text) <= len(buttons):
                text = buttons[int(text) - 1]["payload"]
            body = {"message": text, "municipality": args.municipality, "language": args.language}
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            try:
                reply = client.post(f"{args.url}/api/chat", json=body, headers=headers)
            except httpx.HTTPError as exc:
                print(f"(the assistant is not reachable at {args.url}: {exc}; is `make run` running?)", file=sys.stderr)
                continue
            if reply.status_code == 429:
                print(f"(too many messages; wait {reply.headers.get('retry-after', 'a few')} s)", file=sys.stderr)
                continue
            if reply.status_code != 200:
                print(f"(the assistant answered {reply.status_code}: {reply.text[:200]})", file=sys.stderr)
                continue
            token, messages = reply.json()["conversation"], reply.json()["messages"]
            buttons = [b for m in messages for b in (m.get("buttons") or [])]
            for message in messages:
                _show(message)
            if args.verbose:
                print(json.dumps(messages, ensure_ascii=False, indent=1))

