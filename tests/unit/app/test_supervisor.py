"""The supervisor: a dead process comes back (with back-off, and a line that says so); stopping stops all."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from app.supervisor import Service, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def _wait_until(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_killed_process_is_restarted_and_the_log_says_so() -> None:
    said: list[str] = []
    supervisor = Supervisor([Service("worker", SLEEPER, dict(os.environ))], say=said.append)
    supervisor.start()
    try:
        first = supervisor["worker"].pid
        supervisor.kill("worker")
        assert _wait_until(lambda: supervisor["worker"].alive() and supervisor["worker"].pid != first)
        assert said == ["worker exited with code -9; restarting in 1 s (restart 1)"]
        second = supervisor["worker"].pid
        supervisor.kill("worker")
        assert _wait_until(lambda: supervisor["worker"].alive() and supervisor["worker"].pid != second)
        assert said[-1] == "worker exited with code -9; restarting in 2 s (restart 2)"  # backing off
    finally:
        supervisor.stop(grace=5)
    assert not supervisor["worker"].alive()


def test_stages_start_in_order_and_stop_in_reverse() -> None:
    log: list[str] = []
    services = [Service(name, SLEEPER, dict(os.environ), stage=stage, on_ready=lambda name=name: log.append(name))
                for name, stage in (("database", 0), ("server", 1), ("proxy", 2))]
    supervisor = Supervisor(services)
    supervisor.start()
    assert log == ["database", "server", "proxy"]
    supervisor.stop(grace=5)
    assert not any(service.alive() for service in services)


def test_a_process_that_fails_to_start_is_reported_with_its_name() -> None:
    broken = Service("broken", [sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ),
                     ready_url="http://127.0.0.1:9/")
    supervisor = Supervisor([broken])
    try:
        supervisor.start(timeout=10)
    except RuntimeError as exc:
        assert "broken exited with code 3" in str(exc)
    else:
        raise AssertionError("a process that exits while starting must fail the start")
