"""What a load balancer and a monitoring system ask the app: alive? ready? and the figures.

``/health`` answers as long as the process serves (a load balancer's liveness check).
``/ready`` answers 200 only when the models are loaded and the database, Redis (when configured)
and Rasa answer; otherwise 503 with what is missing, so an operator sees which dependency is down.
``/metrics`` is Prometheus' text format (base.metrics), for the internal network only — the
deployed nginx site does not pass it on.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from base.metrics import QUEUE_LENGTH
from gateway.rasa import RasaClient
from handoff.records import HandoffStore
from storage.store import Store

CHECK_SECONDS = 3.0


class Probes:
    def __init__(self, store: Store, rasa: RasaClient, redis_url: str, warmed: asyncio.Event) -> None:
        self.store = store
        self.rasa = rasa
        self.redis_url = redis_url
        self.warmed = warmed
        self._redis: Any = None

    async def _database(self) -> None:
        async with self.store.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _redis_ping(self) -> None:
        if self._redis is None:
            import redis.asyncio as redis

            self._redis = redis.from_url(self.redis_url, socket_timeout=CHECK_SECONDS)
        await self._redis.ping()

    async def readiness(self) -> dict[str, str]:
        """Each dependency and "ok" or what went wrong (an exception's name, never its text)."""
        checks = {"database": self._database(), "rasa": self.rasa.alive()}
        if self.redis_url:
            checks["redis"] = self._redis_ping()
        results = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check, CHECK_SECONDS)
                results[name] = "ok"
            except Exception as exc:
                results[name] = type(exc).__name__
        results["models"] = "ok" if self.warmed.is_set() else "loading"
        return results

    def router(self, handoffs: HandoffStore) -> APIRouter:
        router = APIRouter()

        @router.get("/health")
        async def health() -> JSONResponse:
            return JSONResponse({"status": "alive"})

        @router.get("/ready", include_in_schema=False)
        async def ready() -> JSONResponse:
            results = await self.readiness()
            ok = all(value == "ok" for value in results.values())
            return JSONResponse({"status": "ready" if ok else "not ready", **results}, status_code=200 if ok else 503)

        @router.get("/metrics", include_in_schema=False)
        async def metrics() -> Response:
            try:
                waiting = await handoffs.waiting_counts()
            except Exception:  # the database is away: the other figures still count
                waiting = None
            if waiting is not None:
                QUEUE_LENGTH.clear()
                for municipality, count in waiting.items():
                    QUEUE_LENGTH.labels(municipality).set(count)
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

        return router
