"""Write Rasa's endpoints file (VAR_DIR/endpoints.yml) from the settings, for a Rasa started by systemd.

    python -m app endpoints --app-url http://10.0.0.10:8081    # where Rasa reaches /webhook

`make run` and `make run-cluster` write it themselves at every start.
"""

from __future__ import annotations

import argparse

from app import rasa_endpoints
from app.settings import settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app endpoints", description=__doc__.splitlines()[0])
    parser.add_argument("--app-url", required=True, help="the app's action/NLG endpoints as Rasa reaches them")
    args = parser.parse_args(argv)
    print(f"wrote {rasa_endpoints.write(settings(), args.app_url.rstrip('/'))}")
    return 0
