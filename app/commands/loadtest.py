"""Load test: virtual newcomers on every channel against the single process and the cluster (`make loadtest`).

Each target is started on this machine (loopback only) with Telegram and WhatsApp stand-ins and a
virtual host. Prints throughput, p50/p95/p99 reply latency and failures per channel, what the
records say (every message stored once, answered once, in order), and peak memory per process.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from app import rig
from app.loadgen import Newcomers, check_records
from app.measure import peak_memory_mib


def run_one(on_cluster: bool, conversations: int, concurrency: int, minutes: float) -> list[str]:
    name = "cluster: 2 app + 2 Rasa processes, nginx, PostgreSQL, Redis" if on_cluster else \
        "single process: 1 app + 1 Rasa process, SQLite"
    with tempfile.TemporaryDirectory() as folder, rig.started(Path(folder), on_cluster) as running:
        newcomers = Newcomers(running.target, deadline=time.monotonic() + minutes * 60)
        report = asyncio.run(newcomers.run(conversations, concurrency))
        time.sleep(2)
        check_records(report, running.target.database_url, running.target.telegram, rig.TOKEN, running.target.graph)
        memory = {service.name: peak_memory_mib(service.pid) for service in running.supervisor.services.values()
                  if service.pid}
    return [f"\n{name} — {conversations} conversations, {concurrency} at a time", *report.lines(),
            "  peak memory, MiB: " + ", ".join(f"{k} {v:.0f}" for k, v in memory.items())]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app loadtest", description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200, help="conversations per target (default 200)")
    parser.add_argument("--concurrency", type=int, default=20, help="newcomers at a time (default 20)")
    parser.add_argument("--target", choices=["single", "cluster", "both"], default="both")
    parser.add_argument("--minutes", type=float, default=10, help="stop sending after this long (default 10)")
    args = parser.parse_args(argv)
    lines: list[str] = []
    for on_cluster in {"single": [False], "cluster": [True], "both": [False, True]}[args.target]:
        lines += run_one(on_cluster, args.conversations, args.concurrency, args.minutes)
        print("\n".join(lines[-12:]), flush=True)
    print("\n".join(["", "Summary", *lines]))
    return 0
