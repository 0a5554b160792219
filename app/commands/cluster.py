"""Start the assistant as a regional service: 2 app and 2 Rasa processes behind nginx (`make run-cluster`).

On PostgreSQL and Redis: the machine's own when DATABASE_URL and REDIS_URL are set, otherwise
private instances in var/cluster/. Every process is supervised (restarted if it dies). Prints the
one address to open; Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import sys

from app import cluster
from app.settings import settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=2, help="app processes (default 2)")
    parser.add_argument("--rasas", type=int, default=2, help="Rasa processes (default 2)")
    parser.add_argument("--port", type=int, default=8080, help="the public port nginx listens on (default 8080)")
    args = parser.parse_args(argv)
    config = settings()
    layout = cluster.plan(config, args.apps, args.rasas, args.port)
    print(f"Starting {args.apps} app and {args.rasas} Rasa processes, nginx"
          + (", PostgreSQL" if layout.own_postgres else "") + (", Redis" if layout.own_redis else "")
          + f" (logs in {layout.var_dir}) ...", flush=True)
    try:
        supervisor = cluster.start(config, layout, say=lambda line: print(line, file=sys.stderr, flush=True))
    except (RuntimeError, TimeoutError, FileNotFoundError, OSError) as exc:
        print(f"Could not start: {exc}", file=sys.stderr)
        return 1
    print(f"""
The newcomer assistant runs as a cluster.
  Open:            {layout.public_url}/demo/boden   (host console: {layout.public_url}/console)
  App processes:   {', '.join(f'127.0.0.1:{port}' for port in layout.app_ports)}  (/metrics and /ready on each)
  Rasa processes:  {', '.join(f'127.0.0.1:{port}' for port in layout.rasa_ports)}
  PostgreSQL:      {layout.postgres('newcomer').split('@')[-1]}   Redis: {layout.redis.split('@')[-1]}
Press Ctrl-C to stop.""", flush=True)
    try:
        supervisor.wait()
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        supervisor.stop()
    return 0
