"""The running product on one machine: the Rasa server and the app server, supervised together.

``make run`` (``app.commands.run``), the integration tests, `make eval` and `make bench` start the
real servers through ``Stack``; a process that dies is restarted (app.supervisor), and stopping the
stack stops every process it started. The cluster (app.cluster) builds on the same pieces.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from app import rasa_endpoints
from app.keys import with_secrets
from app.settings import Settings
from app.supervisor import Service, Supervisor
from base.paths import PROJECT_ROOT

RASA_BIN = PROJECT_ROOT / ".venv" / "rasa" / "bin" / "rasa"
APP_PY = PROJECT_ROOT / ".venv" / "app" / "bin" / "python"
MODEL = PROJECT_ROOT / "models" / "assistant.tar.gz"


@dataclass
class Stack:
    """The supervised processes and where they listen."""

    settings: Settings
    supervisor: Supervisor

    @property
    def app_url(self) -> str:
        return self.settings.app_url

    @property
    def rasa_url(self) -> str:
        return self.settings.rasa_url

    def pids(self) -> dict[str, int]:
        return {name: service.pid for name, service in self.supervisor.services.items() if service.pid}

    def stop(self) -> None:
        self.supervisor.stop()


def _environment(config: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        APP_URL=config.app_url,
        RASA_URL=config.rasa_url,
        APP_PORT=str(config.app_port),
        RASA_PORT=str(config.rasa_port),
        VAR_DIR=str(config.var_dir),
        DATABASE_URL=config.database,
        RASA_TRACKER_URL=config.tracker_url,
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
        LOG_FORMAT=config.log_format,
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONPATH=str(PROJECT_ROOT),
        # Per-request work is small: one thread each avoids OpenMP threads spinning against the
        # other server on a 2-core machine; concurrency comes from serving requests in parallel.
        OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
        **rasa_endpoints.secret_environment(config),
    )
    return env


def app_command(host: str, port: int, trusted_proxies: str = "") -> list[str]:
    """The app server's command line: uvicorn builds the app with ``app.server.create_app``.

    Forwarding headers (client address, https) are believed only from the configured proxies;
    on SIGTERM uvicorn finishes the requests in flight (up to 30 s) before it exits.
    """
    proxies = ["--proxy-headers", "--forwarded-allow-ips", trusted_proxies] if trusted_proxies else [
        "--no-proxy-headers"]
    return [str(APP_PY), "-m", "uvicorn", "app.serve:create_app", "--factory", "--host", host, "--port", str(port),
            "--log-level", "warning", "--timeout-graceful-shutdown", "30", *proxies]


def rasa_command(port: int, endpoints: Path, token: str, interface: str = "127.0.0.1") -> list[str]:
    return [str(RASA_BIN), "run", "--model", str(MODEL), "--interface", interface, "--port", str(port),
            "--endpoints", str(endpoints), "--credentials", "credentials.yml", "--quiet", "--enable-api",
            "--auth-token", token]


def _wait(url: str, process: subprocess.Popen, name: str, timeout: float) -> None:
    """Return once url answers 200 (a process started outside a supervisor)."""
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


def services(config: Settings, log_dir: Path | None, env: dict[str, str]) -> list[Service]:
    """The app server and the Rasa server of one machine, started together."""
    endpoints = rasa_endpoints.write(config, config.app_url)

    def log(name: str) -> Path | None:
        return log_dir / f"{name}.log" if log_dir else None

    return [
        Service("app", app_command(config.app_host, config.app_port, config.trusted_proxies), env,
                ready_url=f"{config.app_url}/ready", log=log("app")),
        Service("rasa", rasa_command(config.rasa_port, endpoints, config.rasa_token.get_secret_value()), env,
                ready_url=f"{config.rasa_url}/webhooks/gateway/", log=log("rasa")),
    ]


def start(config: Settings, log_dir: Path | None = None, timeout: float = 180,
          extra_env: dict[str, str] | None = None, say: Callable[[str], None] | None = None) -> Stack:
    """Start both servers and return once both are ready; a process that dies is restarted."""
    config = with_secrets(config)
    if not MODEL.exists():
        raise FileNotFoundError(f"no trained model at {MODEL}; run `make train`")
    env = {**_environment(config), **(extra_env or {})}
    supervisor = Supervisor(services(config, log_dir, env), say=say)
    supervisor.start(timeout)
    return Stack(config, supervisor)


@contextmanager
def running(config: Settings, log_dir: Path | None = None, extra_env: dict[str, str] | None = None):
    stack = start(config, log_dir, extra_env=extra_env)
    try:
        yield stack
    finally:
        stack.stop()
