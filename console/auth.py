"""Host console sessions: server-side, in the database, behind a Secure HttpOnly SameSite cookie.

The cookie holds a random token; only its SHA-256 is stored, so a database leak yields no usable
session. Every state-changing request must carry the session's CSRF token (form field or
X-CSRF-Token header) and come from this site's own origin.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request
from sqlalchemy import delete, select

from base.clock import now
from handoff.hosts import Host, HostStore
from storage.schema import host_sessions
from storage.store import Store, aware

COOKIE = "host_session"
SESSION_LIFETIME = dt.timedelta(hours=10)


@dataclass(frozen=True)
class Session:
    host: Host
    csrf: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    def __init__(self, store: Store, hosts: HostStore) -> None:
        self.engine = store.engine
        self.hosts = hosts

    async def open(self, host: Host) -> tuple[str, str]:
        """A new session for the host: (cookie token, CSRF token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        async with self.engine.begin() as connection:
            await connection.execute(host_sessions.insert().values(
                token_hash=_digest(token), host_id=host.id, csrf=csrf, expires_at=now() + SESSION_LIFETIME))
        return token, csrf

    async def find(self, token: str | None) -> Session | None:
        if not token:
            return None
        async with self.engine.connect() as connection:
            row = (await connection.execute(
                select(host_sessions).where(host_sessions.c.token_hash == _digest(token)))).mappings().first()
        if row is None:
            return None
        if aware(row["expires_at"]) < now():
            return None
        host = await self.hosts.get(row["host_id"])
        return None if host is None else Session(host=host, csrf=row["csrf"])

    async def close(self, token: str | None) -> None:
        if token:
            async with self.engine.begin() as connection:
                await connection.execute(delete(host_sessions).where(host_sessions.c.token_hash == _digest(token)))

    def dependency(self) -> Callable[[Request], Awaitable[Session]]:
        """A FastAPI dependency: the logged-in host's session, or 401; marks the host online."""

        async def current(request: Request) -> Session:
            session = await self.find(request.cookies.get(COOKIE))
            if session is None:
                raise HTTPException(status_code=401, detail="log in first")
            await self.hosts.touch(session.host.id)
            return session

        return current


def same_origin(request: Request) -> bool:
    """The request comes from a page of this site (browsers send Origin on cross-site POSTs)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return True  # non-browser clients; the CSRF token still has to match
    expected = f"{request.url.scheme}://{request.url.netloc}"
    return origin == expected or origin.startswith(expected + "/")


def check_csrf(request: Request, session: Session, submitted: str | None) -> None:
    if not same_origin(request):
        raise HTTPException(status_code=403, detail="cross-site request refused")
    token = submitted or request.headers.get("x-csrf-token") or ""
    if not hmac.compare_digest(token.encode(), session.csrf.encode()):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token")
