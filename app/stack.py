"""The running product: the Rasa server and the app server as processes, started and stopped together.

``make run`` (``app.commands.run``), the integration tests, `make eval` and `make bench` all start
the real servers through ``Stack``; stopping it stops every process it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.keys import with_secrets
from app.settings import Settings
from base.paths import PROJECT_ROOT

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
        RASA_TOKEN=config.rasa_token.get_secret_value(),
        INTERNAL_TOKEN=config.internal_token.get_secret_value(),
        APP_SECRET=config.app_secret.get_secret_value(),
        API_DOCS="true" if config.api_docs else "false",
        TRUSTED_PROXIES=config.trusted_proxies,
        REDIS_URL=config.redis_url,
        RATE_LIMITS=config.rate_limits,
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONPATH=str(PROJECT_ROOT),
        # Per-request work is small: one thread each avoids OpenMP threads spinning against the
        # other server on a 2-core machine; concurrency comes from serving requests in parallel.
        OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
    )
    return env


def app_command(host: str, port: int, trusted_proxies: str = "") -> list[str]:
    """The app server's command line: uvicorn builds the app with ``app.server.create_app``.

    Forwarding headers (client address, https) are believed only from the configured proxies.
    """
    proxies = ["--proxy-headers", "--forwarded-allow-ips", trusted_proxies] if trusted_proxies else [
        "--no-proxy-headers"]
    return [str(APP_PY), "-m", "uvicorn", "app.server:create_app", "--factory", "--host", host, "--port", str(port),
            "--log-level", "warning", *proxies]


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
    config = with_secrets(config)
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
        stack.processes.append(spawn("app", app_command(config.app_host, config.app_port, config.trusted_proxies)))
        stack.processes.append(spawn("rasa", [
            str(RASA_BIN), "run", "--model", str(MODEL), "--interface", "127.0.0.1",
            "--port", str(config.rasa_port), "--endpoints", "endpoints.yml",
            "--credentials", "credentials.yml", "--quiet", "--enable-api",
            "--auth-token", config.rasa_token.get_secret_value(),
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
