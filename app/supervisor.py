"""Keeps the product's processes running: start them, restart one that dies, stop them all cleanly.

A crash of one process — Rasa running out of memory, an app process killed by the operating
system — must not take the whole product down: the gateway already apologises and offers a host
while Rasa is away, so the supervisor restarts the dead process with back-off (1 s, 2 s, 4 s … at
most 30 s, reset once it has run for a minute) and says so in the log. Stopping sends SIGTERM to
every process (uvicorn and Rasa finish the requests they are handling) and SIGKILL only to those
still running after the grace period. `make run`, `make run-cluster`, the tests, `make eval`,
`make bench`, `make loadtest` and `make chaos` all run their processes through it.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from base.paths import PROJECT_ROOT

logger = logging.getLogger(__name__)

FIRST_DELAY, MAX_DELAY = 1.0, 30.0
#: A process that ran this long is healthy again: its next crash restarts it after FIRST_DELAY.
STABLE_AFTER = 60.0
GRACE = 30.0


@dataclass
class Service:
    """One process the supervisor keeps running."""

    name: str
    command: list[str]
    env: dict[str, str]
    #: Answers 200 once the process serves (None: started is ready) …
    ready_url: str | None = None
    #: … or a check of its own (a database accepting connections).
    ready_check: Callable[[], bool] | None = None
    #: Run once when the service is first ready (create databases), never on restarts.
    on_ready: Callable[[], None] | None = None
    #: The polite stop (PostgreSQL's "fast shutdown" is SIGINT; SIGTERM would wait for every client).
    stop_signal: int = signal.SIGTERM
    log: Path | None = None
    cwd: Path = PROJECT_ROOT
    #: Services start stage by stage: all of a stage at once, the next when they are all ready.
    stage: int = 0
    restarts: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)
    started_at: float = 0.0
    next_start: float | None = None

    def spawn(self) -> None:
        output = open(self.log, "ab") if self.log else None  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=output,
                                        stderr=subprocess.STDOUT if output else None, start_new_session=True)
        self.started_at = time.monotonic()
        self.next_start = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def wait_ready(service: Service, timeout: float) -> None:
    """Return once the service answers its ready URL; fail early if it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process is not None and service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited with code {service.process.returncode} while starting"
                               + (f"; see {service.log}" if service.log else ""))
        if service.ready_check is not None:
            if service.ready_check():
                return
        elif service.ready_url is None:
            return
        else:
            try:
                if httpx.get(service.ready_url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
        time.sleep(0.3)
    raise TimeoutError(f"{service.name} did not answer {service.ready_url} within {timeout:.0f} s")


class Supervisor:
    def __init__(self, services: list[Service], restart: bool = True,
                 say: Callable[[str], None] | None = None) -> None:
        self.services = {service.name: service for service in services}
        self.keep_alive = restart
        self.say = say or logger.warning
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None

    def __getitem__(self, name: str) -> Service:
        return self.services[name]

    def start(self, timeout: float = 180) -> None:
        """Start the services stage by stage (databases before servers, servers before nginx), then watch them."""
        try:
            for stage in sorted({service.stage for service in self.services.values()}):
                group = [service for service in self.services.values() if service.stage == stage]
                for service in group:
                    service.spawn()
                for service in group:
                    wait_ready(service, timeout)
                    if service.on_ready is not None:
                        service.on_ready()
        except BaseException:
            self.stop()
            raise
        self._monitor = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self._monitor.start()

    def _watch(self) -> None:
        while not self._stopping.wait(0.25):
            now = time.monotonic()
            for service in self.services.values():
                if service.alive() or not self.keep_alive:
                    continue
                if service.next_start is None:
                    ran = now - service.started_at
                    service.restarts = 0 if ran >= STABLE_AFTER else service.restarts
                    delay = min(FIRST_DELAY * 2 ** service.restarts, MAX_DELAY)
                    service.restarts += 1
                    code = service.process.returncode if service.process else None
                    self.say(f"{service.name} exited with code {code}; restarting in {delay:.0f} s "
                             f"(restart {service.restarts})")
                    service.next_start = now + delay
                elif now >= service.next_start and not self._stopping.is_set():
                    service.spawn()

    def wait(self) -> None:
        """Block until stop() is called (the processes are kept running meanwhile)."""
        while not self._stopping.wait(1):
            if not self.keep_alive and not all(service.alive() for service in self.services.values()):
                dead = [s.name for s in self.services.values() if not s.alive()]
                raise RuntimeError(f"{', '.join(dead)} stopped")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send a signal to one service's processes (fault injection); the watch restarts it."""
        service = self.services[name]
        if service.alive():
            os.killpg(service.process.pid, sig)  # type: ignore[union-attr]

    def restart(self, name: str) -> None:
        """Stop one service politely and let the watch start it again (a planned restart)."""
        self.kill(name, self.services[name].stop_signal)

    def ready(self, name: str) -> bool:
        service = self.services[name]
        if not service.alive():
            return False
        try:
            wait_ready(service, timeout=0.5)
            return True
        except (RuntimeError, TimeoutError):
            return False

    def stop(self, grace: float = GRACE) -> None:
        """Stage by stage, last first (nginx, then the servers, then the databases they drain into):
        the polite signal (they finish what they are doing), then SIGKILL for what still runs."""
        self._stopping.set()
        for stage in sorted({service.stage for service in self.services.values()}, reverse=True):
            running = [s for s in self.services.values() if s.stage == stage and s.alive()]
            for service in running:
                os.killpg(service.process.pid, service.stop_signal)  # type: ignore[union-attr]
            deadline = time.monotonic() + grace
            for service in running:
                try:
                    service.process.wait(timeout=max(0.1, deadline - time.monotonic()))  # type: ignore[union-attr]
                except subprocess.TimeoutExpired:
                    os.killpg(service.process.pid, signal.SIGKILL)  # type: ignore[union-attr]
        if self._monitor is not None:
            self._monitor.join(timeout=2)
