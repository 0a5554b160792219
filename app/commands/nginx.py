"""Print the nginx site for app and Rasa processes on several machines (deploy/nginx/newcomer.conf).

    python -m app nginx --app 10.0.0.11:8000 --app 10.0.0.12:8000 --rasa 10.0.0.21:5005 \\
        --rasa 10.0.0.22:5005 --public-listen "443 ssl" --internal-listen 10.0.0.10:8081 \\
        --server-name chat.norrbotten.example > /etc/nginx/sites-available/newcomer.conf
"""

from __future__ import annotations

import argparse

from app import nginx


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app nginx", description=__doc__.splitlines()[0])
    parser.add_argument("--app", action="append", required=True, help="an app process, host:port (repeat)")
    parser.add_argument("--rasa", action="append", required=True, help="a Rasa process, host:port (repeat)")
    parser.add_argument("--public-listen", default="80", help='nginx "listen" of the public site, e.g. "443 ssl"')
    parser.add_argument("--internal-listen", default="127.0.0.1:8081",
                        help="where Rasa and the apps reach each other (a private address)")
    parser.add_argument("--server-name", default="_")
    args = parser.parse_args(argv)
    print(nginx.site(args.app, args.rasa, args.public_listen, args.internal_listen, args.server_name), end="")
    return 0
