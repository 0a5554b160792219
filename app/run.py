"""`make run`: start the Rasa server and the app server, wait until both answer, say how to chat.

The same ``Stack`` starts the real servers for the integration tests, `make eval` and
`make bench`. Ctrl-C stops every process it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.settings import PROJECT_ROOT, Settings

RASA_BIN = PROJECT_ROOT / ".venv" / "rasa" / "bin" / "rasa"
APP_PY = PROJECT_ROOT / ".venv" / "app" / "bin" / "python"
MODEL = PROJECT_ROOT / "models" / "assistant.tar.gz"


@dataclass
class Stack:
    """The two server processes and where they listen."""

    settings: Settings
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def app_url(self) -> str:
        return self.settings.app_url

    @property
    def rasa_url(self) -> str:
        return self.settings.rasa_url

    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in zip(("app", "rasa"), self.processes, strict=False)}

    def stop(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.processes:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _environment(config: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        APP_URL=config.app_url,
        RASA_URL=config.rasa_url,
        APP_PORT=str(config.app_port),
        RASA_PORT=str(config.rasa_port),
        RASA_TRACKER_DB=str(config.tracker_db),
        VAR_DIR=str(config.var_dir),
        DATABASE_URL=config.database,
        RASA_TIMEOUT=str(config.rasa_timeout),
        CHANNELS_FILE=str(config.channels_file),
        PUBLIC_URL=config.base_url,
        SMTP_HOST=config.smtp_host,
        SMTP_PORT=str(config.smtp_port),
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONPATH=str(PROJECT_ROOT),
        # Per-request work is small: one thread each avoids OpenMP threads spinning against the
        # other server on a 2-core machine; concurrency comes from serving requests in parallel.
        OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
    )
    return env


def _wait(url: str, process: subprocess.Popen, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the {name} server exited with code {process.returncode}; see its log above")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"the {name} server did not answer {url} within {timeout:.0f} s")


def start(config: Settings, log_dir: Path | None = None, timeout: float = 180,
          extra_env: dict[str, str] | None = None) -> Stack:
    """Start both servers and return once both pass their health checks."""
    config.var_dir.mkdir(parents=True, exist_ok=True)
    if not MODEL.exists():
        raise FileNotFoundError(f"no trained model at {MODEL}; run `make train`")
    env = {**_environment(config), **(extra_env or {})}

    def spawn(name: str, command: list[str]) -> subprocess.Popen:
        output = open(log_dir / f"{name}.log", "ab") if log_dir else None  # noqa: SIM115 - lives with the process
        return subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT if output else None,
            start_new_session=True,
        )

    stack = Stack(config)
    try:
        stack.processes.append(spawn("app", [
            str(APP_PY), "-m", "uvicorn", "app.server:app", "--host", config.app_host,
            "--port", str(config.app_port), "--log-level", "warning",
        ]))
        stack.processes.append(spawn("rasa", [
            str(RASA_BIN), "run", "--model", str(MODEL), "--interface", "127.0.0.1",
            "--port", str(config.rasa_port), "--endpoints", "endpoints.yml",
            "--credentials", "credentials.yml", "--quiet", "--enable-api",
            *(["--auth-token", os.environ["RASA_TOKEN"]] if os.environ.get("RASA_TOKEN") else []),
        ]))
        _wait(f"{config.app_url}/health", stack.processes[0], "app", timeout)
        _wait(f"{config.rasa_url}/webhooks/gateway/", stack.processes[1], "Rasa", timeout)
    except BaseException:
        stack.stop()
        raise
    return stack


@contextmanager
def running(config: Settings, log_dir: Path | None = None, extra_env: dict[str, str] | None = None):
    stack = start(config, log_dir, extra_env=extra_env)
    try:
        yield stack
    finally:
        stack.stop()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C, and SIGTERM from a supervisor, stop both servers — even where the shell started us
    # with SIGINT ignored (background jobs of non-interactive shells).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    config = Settings()
    print("Starting the app server and the Rasa server (the first start loads models: ~30 s)...", flush=True)
    try:
        stack = start(config)
    except (RuntimeError, TimeoutError, FileNotFoundError) as exc:
        print(f"Could not start: {exc}", file=sys.stderr)
        return 1
    print(
        f"""
The newcomer assistant is running.
  Web chat (demo page):   {config.app_url}/demo/boden   (all municipalities: {config.app_url}/)
  Host console:           {config.app_url}/console   (add hosts: .venv/app/bin/python -m handoff.hosts add …)
  Chat in the terminal:   make chat
  Chat over HTTP:         curl -s {config.app_url}/api/chat -H 'content-type: application/json' \\
                            -d '{{"sender": "demo-1", "municipality": "boden", "language": "pl", \\
                                  "message": "Jak znaleźć mieszkanie w Boden?"}}'
  API docs:               {config.app_url}/docs
  Telegram / WhatsApp:    configure {config.channels_file} (README, "Connect Telegram and WhatsApp")
Press Ctrl-C to stop.""",
        flush=True,
    )
    try:
        while all(proc.poll() is None for proc in stack.processes):
            time.sleep(1)
        print("A server stopped unexpectedly; stopping the other.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
