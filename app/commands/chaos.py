"""Faults under load: kill and restart parts of the cluster while newcomers chat (`make chaos`).

Starts the cluster on private PostgreSQL and Redis instances, runs virtual newcomers on every
channel, and meanwhile: kill -9 one Rasa process, kill -9 one app process, restart Redis, restart
PostgreSQL. Prints how long each recovery took, the load's figures, and what the records say:
messages lost, stored or delivered twice, left unanswered, out of order (all must be 0), and how
many apologies people got while a part was down. `make test` runs a short version.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app import rig
from app.loadgen import Newcomers, Report, check_records, settle
from app.measure import peak_memory_mib
from app.supervisor import Supervisor

#: After the load, unanswered messages are taken up by the app processes' sweep (every ~10 s);
#: the records are checked once none is waiting, or after this long.
SETTLE_SECONDS = 45
#: How long a part may take to be whole again. A Rasa process that restarts while the load keeps
#: both cores busy needs minutes to load TensorFlow and its model (the other Rasa serves meanwhile).
RECOVERY_SECONDS = 300


@dataclass
class Fault:
    name: str
    at: float  # share of the load's messages sent when it strikes
    recovered_after: float | None = None


@dataclass
class ChaosResult:
    report: Report
    faults: list[Fault] = field(default_factory=list)
    memory: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        never = f"— (not within {RECOVERY_SECONDS // 60} min)"
        rows = [f"  {f.name:<28} recovered after "
                + (f"{f.recovered_after:5.1f} s" if f.recovered_after is not None else never)
                for f in self.faults]
        return ["Faults:", *rows, "Load:", *self.report.lines(),
                "  peak memory, MiB: " + ", ".join(f"{k} {v:.0f}" for k, v in self.memory.items())]


def _apps_ready(running: rig.Rig) -> bool:
    assert running.layout is not None
    for port in running.layout.app_ports:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=3).status_code != 200:
                return False
        except httpx.HTTPError:
            return False
    return True


def _strike(fault: Fault, supervisor: Supervisor, running: rig.Rig) -> None:
    """Do it, then wait until the cluster is whole again: the process serves and every app is ready."""
    name = fault.name.split()[-1]
    started = time.monotonic()
    if fault.name.startswith("kill -9"):
        supervisor.kill(name)
    else:
        supervisor.restart(name)
    time.sleep(0.5)
    while time.monotonic() - started < RECOVERY_SECONDS:
        if supervisor.ready(name) and _apps_ready(running):
            fault.recovered_after = time.monotonic() - started
            return
        time.sleep(0.25)


def run_on(running: rig.Rig, messages: int, concurrency: int, minutes: float = 30) -> ChaosResult:
    """The four faults during a load on a started cluster; then what the records say."""
    faults = [Fault("kill -9 rasa-1", 0.2), Fault("kill -9 app-1", 0.4), Fault("restart redis", 0.6),
              Fault("restart postgres", 0.8)]
    newcomers = Newcomers(running.target, deadline=time.monotonic() + minutes * 60)
    conversations = max(8, messages // 4)
    load = threading.Thread(target=lambda: asyncio.run(newcomers.run(conversations, concurrency)), daemon=True)
    load.start()
    for fault in faults:
        while load.is_alive() and len(newcomers.report.sent) < fault.at * conversations * 4:
            time.sleep(0.2)
        _strike(fault, running.supervisor, running)
    load.join()
    settle(newcomers.report, running.target.database_url, SETTLE_SECONDS)
    check_records(newcomers.report, running.target.database_url, running.target.telegram, rig.TOKEN,
                  running.target.graph)
    memory = {service.name: peak_memory_mib(service.pid) for service in running.supervisor.services.values()
              if service.pid}
    return ChaosResult(newcomers.report, faults, memory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000, help="messages the newcomers send (default 5000)")
    parser.add_argument("--concurrency", type=int, default=24, help="newcomers at a time (default 24)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder, rig.started(Path(folder), on_cluster=True) as running:
        result = run_on(running, args.messages, args.concurrency)
    print("\n".join(result.lines()))
    checks = result.report.checks
    failed = any(checks.get(key) for key in ("messages lost", "stored or delivered twice", "left unanswered",
                                            "conversations out of order"))
    return 1 if failed or any(f.recovered_after is None for f in result.faults) else 0
