"""The product as a regional service on one machine: several app and Rasa processes behind nginx,
on PostgreSQL and Redis — what ``make run-cluster``, ``make loadtest`` and ``make chaos`` start.

Stage 0: PostgreSQL and Redis — the machine's own when ``DATABASE_URL``/``REDIS_URL`` are given,
otherwise private instances in ``var/cluster/`` on spare ports (which a fault run may kill).
Stage 1: the Rasa processes (tracker store on PostgreSQL, lock store on Redis) and the app
processes (records on PostgreSQL, rooms, events and limits on Redis). Stage 2: nginx, the one
address to open, and the internal address through which Rasa and the apps reach each other.
Every process is supervised: one that dies is restarted.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import psycopg

from app import nginx, rasa_endpoints
from app.keys import with_secrets
from app.settings import Settings, free_port
from app.stack import _environment, app_command, rasa_command
from app.supervisor import Service, Supervisor

POSTGRES_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), Path("/usr/bin"))


@dataclass
class Plan:
    """Where each process of the cluster listens."""

    var_dir: Path
    public_port: int
    internal_port: int
    app_ports: list[int]
    rasa_ports: list[int]
    database_url: str = ""  # given: the machine's own; empty: a private instance on postgres_port
    redis_url: str = ""
    postgres_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    #: A private PostgreSQL's data folder (postgres_data()).
    postgres_data: Path = Path()

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.public_port}"

    @property
    def internal_url(self) -> str:
        return f"http://127.0.0.1:{self.internal_port}"

    @property
    def own_postgres(self) -> bool:
        return not self.database_url

    @property
    def own_redis(self) -> bool:
        return not self.redis_url

    def postgres(self, database: str) -> str:
        if self.database_url:
            return self.database_url.rsplit("/", 1)[0] + f"/{database}"
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.postgres_port}/{database}"

    @property
    def redis(self) -> str:
        return self.redis_url or f"redis://127.0.0.1:{self.redis_port}/0"


def plan(config: Settings, apps: int = 2, rasas: int = 2, public_port: int | None = None) -> Plan:
    var_dir = config.var_dir / "cluster"
    return Plan(var_dir=var_dir, public_port=public_port or free_port(), internal_port=free_port(),
                app_ports=[free_port() for _ in range(apps)], rasa_ports=[free_port() for _ in range(rasas)],
                database_url=os.environ.get("DATABASE_URL", ""), redis_url=os.environ.get("REDIS_URL", ""),
                postgres_data=postgres_data(var_dir))


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; this machine kind runs everything as root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def postgres_data(var_dir: Path) -> Path:
    """var/cluster/postgres — unless PostgreSQL's own user cannot reach it (a private temporary folder
    on the way, as in tests): then a new folder of its own in the system's temporary directory."""
    data = var_dir / "postgres"
    if os.geteuid() != 0 or all(parent.stat().st_mode & stat.S_IXOTH for parent in data.parents if parent.exists()):
        return data
    folder = Path(tempfile.mkdtemp(prefix="newcomer-postgres-"))
    folder.chmod(0o755)
    return folder / "data"


def _postgres_service(plan_: Plan) -> Service:
    data = plan_.postgres_data
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(data, "postgres", "postgres")
        made = subprocess.run(_as_postgres_user([str(POSTGRES_BIN / "initdb"), "-D", str(data), "-A", "trust",
                                                 "-U", "postgres", "--no-sync", "-E", "UTF8"]),
                              capture_output=True, text=True)
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed: {made.stderr.strip()[-300:]}")
    command = _as_postgres_user([str(POSTGRES_BIN / "postgres"), "-D", str(data), "-p", str(plan_.postgres_port),
                                 "-k", str(data), "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"])

    def databases() -> None:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{plan_.postgres_port}/postgres",
                             autocommit=True) as admin:
            existing = {row[0] for row in admin.execute("SELECT datname FROM pg_database")}
            for name in ("newcomer", "rasa"):
                if name not in existing:
                    admin.execute(f'CREATE DATABASE "{name}"')

    return Service("postgres", command, dict(os.environ), ready_check=lambda: _pg_ready(plan_.postgres_port),
                   on_ready=databases, log=plan_.var_dir / "postgres.log", stop_signal=signal.SIGINT, stage=0)


def _pg_ready(port: int) -> bool:
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout=1):
            return True
    except psycopg.Error:
        return False


def _redis_service(plan_: Plan) -> Service:
    command = ["redis-server", "--port", str(plan_.redis_port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--protected-mode", "no", "--dir", str(plan_.var_dir)]
    return Service("redis", command, dict(os.environ), ready_check=lambda: _accepts(plan_.redis_port),
                   log=plan_.var_dir / "redis.log", stage=0)


def cluster_settings(config: Settings, plan_: Plan) -> Settings:
    """The settings every app process of the cluster shares (each gets its own port)."""
    return replace(with_secrets(config), database_url=plan_.postgres("newcomer"),
                   rasa_tracker_url=plan_.postgres("rasa"), redis_url=plan_.redis, rasa_url=plan_.internal_url,
                   trusted_proxies="127.0.0.1", public_url=config.public_url or plan_.public_url)


def services(config: Settings, plan_: Plan, extra_env: dict[str, str] | None = None) -> list[Service]:
    plan_.var_dir.mkdir(parents=True, exist_ok=True)
    shared = cluster_settings(config, plan_)
    found: list[Service] = []
    if plan_.own_postgres:
        found.append(_postgres_service(plan_))
    if plan_.own_redis:
        found.append(_redis_service(plan_))
    endpoints = rasa_endpoints.write(shared, plan_.internal_url)
    token = shared.rasa_token.get_secret_value()
    for number, port in enumerate(plan_.rasa_ports, start=1):
        env = {**_environment(replace(shared, rasa_port=port)), **(extra_env or {})}
        found.append(Service(f"rasa-{number}", rasa_command(port, endpoints, token), env,
                             ready_url=f"http://127.0.0.1:{port}/webhooks/gateway/",
                             log=plan_.var_dir / f"rasa-{number}.log", stage=1))
    for number, port in enumerate(plan_.app_ports, start=1):
        env = {**_environment(replace(shared, app_port=port)), **(extra_env or {})}
        found.append(Service(f"app-{number}", app_command("127.0.0.1", port, "127.0.0.1"), env,
                             ready_url=f"http://127.0.0.1:{port}/health",
                             log=plan_.var_dir / f"app-{number}.log", stage=1))
    prefix = plan_.var_dir / "nginx"
    prefix.mkdir(parents=True, exist_ok=True)
    site = nginx.site([f"127.0.0.1:{port}" for port in plan_.app_ports],
                      [f"127.0.0.1:{port}" for port in plan_.rasa_ports],
                      public_listen=f"127.0.0.1:{plan_.public_port}",
                      internal_listen=f"127.0.0.1:{plan_.internal_port}")
    (prefix / "nginx.conf").write_text(nginx.config(site, str(prefix)), encoding="utf-8")
    found.append(Service("nginx", ["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g",
                                   "daemon off;"], dict(os.environ), ready_url=f"{plan_.public_url}/health",
                         log=plan_.var_dir / "nginx.log", stop_signal=signal.SIGQUIT, stage=2))
    return found


def start(config: Settings, plan_: Plan, extra_env: dict[str, str] | None = None,
          say: Callable[[str], None] | None = None, timeout: float = 240) -> Supervisor:
    supervisor = Supervisor(services(config, plan_, extra_env), say=say)
    supervisor.start(timeout)
    return supervisor

