"""The nginx configuration in front of several app and Rasa processes — one renderer, two uses:
``make run-cluster`` writes a whole nginx.conf with it, and ``python -m app nginx-site`` prints the
site an operator installs (deploy/nginx/newcomer.conf was made that way).

Two server blocks:

* **public** (behind TLS termination, or TLS here): the widget, socket.io, the chat API, the platform
  webhooks and the host console, spread over the app processes. socket.io's long-polling needs one
  connection's requests on one process, so ``/socket.io/`` is pinned by client address (``ip_hash``);
  everything else may land on any process — a conversation's state is in the database and Redis.
  Websocket upgrades for socket.io and the console's live socket. ``/webhook``, ``/metrics``
  and ``/ready`` are not served here.
* **internal** (loopback or a private network): Rasa processes reach the app's action endpoint,
  and the app processes reach Rasa's gateway channel, each spread over its upstream.
"""

from __future__ import annotations

PUBLIC_ONLY_OUTSIDE = ("/webhook", "/metrics", "/ready")

_PROXY = """proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;"""

_UPGRADE = """proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;"""


def _upstream(name: str, servers: list[str], pinned: bool = False) -> str:
    lines = [f"upstream {name} {{"]
    if pinned:
        lines.append("    ip_hash;")
    lines += [f"    server {server} max_fails=1 fail_timeout=5s;" for server in servers]
    if not pinned:
        lines.append("    keepalive 32;")
    lines.append("}")
    return "\n".join(lines)


def site(apps: list[str], rasas: list[str], public_listen: str, internal_listen: str,
         server_name: str = "_") -> str:
    """The upstreams and both server blocks (what goes into nginx's http block)."""
    hidden = "|".join(path.lstrip("/") for path in PUBLIC_ONLY_OUTSIDE)
    return f"""# The newcomer assistant — rendered by app/nginx.py; keep the two in step.
map $http_upgrade $connection_upgrade {{
    default upgrade;
    ''      close;
}}

{_upstream("newcomer_app", apps)}

{_upstream("newcomer_app_pinned", apps, pinned=True)}

{_upstream("newcomer_rasa", rasas)}

server {{
    listen {public_listen};
    server_name {server_name};
    client_max_body_size 2m;
    client_header_timeout 10s;
    client_body_timeout 10s;
    send_timeout 30s;

    location ~ ^/({hidden})(/|$) {{
        return 404;
    }}
    location /socket.io/ {{
        proxy_pass http://newcomer_app_pinned;
        {_PROXY}
        {_UPGRADE}
        proxy_read_timeout 120s;
    }}
    location = /console/ws {{
        proxy_pass http://newcomer_app;
        {_PROXY}
        {_UPGRADE}
        proxy_read_timeout 1h;
    }}
    location / {{
        proxy_pass http://newcomer_app;
        {_PROXY}
        proxy_set_header Connection "";
        proxy_next_upstream error timeout http_502 http_503;
        proxy_next_upstream_tries 2;
        proxy_read_timeout 120s;
    }}
}}

server {{
    listen {internal_listen};
    client_max_body_size 4m;

    location /webhooks/gateway/ {{
        proxy_pass http://newcomer_rasa;
        {_PROXY}
        proxy_set_header Connection "";
        proxy_next_upstream error timeout http_502 http_503;
    }}
    location = /webhook {{
        proxy_pass http://newcomer_app;
        {_PROXY}
        proxy_set_header Connection "";
        proxy_next_upstream error timeout http_502 http_503;
    }}
    location / {{
        return 404;
    }}
}}
"""


def config(site_text: str, prefix: str) -> str:
    """A whole nginx.conf around the site, for an unprivileged nginx in the foreground."""
    return f"""worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{site_text}
}}
"""
