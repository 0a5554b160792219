"""Delete conversations past their municipality's retention period (run it daily).

    python -m app retention      # from cron, a systemd timer or a Kubernetes CronJob

Deletes the conversations, their messages and handoffs, their events in Rasa's tracker store
(RASA_TRACKER_URL when it is not var/'s SQLite file), and expired console sessions.
"""

from __future__ import annotations

import argparse
import asyncio

from app.database import opened
from app.settings import settings
from handoff.retention import run
from storage.tracker import TrackerEvents


async def _run() -> int:
    config = settings()
    async with opened(config) as store:
        tracker = TrackerEvents(config.tracker_url)
        try:
            return await run(store, tracker)
        finally:
            tracker.close()


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m app retention", description=__doc__.splitlines()[0]).parse_args(argv)
    print(f"Deleted {asyncio.run(_run())} conversation(s) past their retention period.")
    return 0
