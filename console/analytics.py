"""The analytics page, its CSV downloads and the FAQ gap report, per municipality or region-wide.

Who may read which figures is ``Host.may_view_figures``; a municipality the account may not read
is a 404, as for conversations. Figures come from ``insight.figures`` for the range asked (at most
a year, so that one request cannot make the server count everything ever stored).
"""

# No `from __future__ import annotations` here: FastAPI reads the dependency annotations at declaration.

import asyncio
import csv
import datetime as dt
import io
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

import municipalities
from console import charts
from console.auth import Session
from console.pages import host_language, page
from handoff.privacy import labels, mask
from handoff.roles import Role
from handoff.texts import host_texts
from insight.across import across
from insight.figures import ZONE, Figures, Period, Series, figures
from insight.gaps import Gap, gaps
from knowledge.content.entries import SHARED_LAYER
from storage.store import Store

#: The value of ``place`` that means every municipality (regional accounts only).
REGION = "region"
MAX_DAYS = 366
DEFAULT_DAYS = 30
#: Which series are drawn how: per-day columns, the rest as horizontal bars.
CHARTED = ("per_day", "outcomes", "topics", "languages", "channels", "handoff_reasons", "handoff_outcomes",
           "satisfaction", "satisfaction_languages", "satisfaction_topics", "satisfaction_municipalities",
           "language_match")


def label(t: dict[str, Any], series: str, key: str) -> str:
    """A row's label in the host's language where the catalog has one (topics, reasons, outcomes…)."""
    if series == "satisfaction_municipalities":
        place = municipalities.load_all().get(key)
        return place.name if place is not None else key
    prefix = {"topics": "topic_", "handoff_reasons": "reason_", "handoff_outcomes": "status_",
              "outcomes": "outcome_", "satisfaction_topics": "topic_", "language_match": "language_"}.get(series)
    return t.get(f"{prefix}{key}", key) if prefix else key


def _csv_safe(cell: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; such a cell is quoted as text."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@") else cell


def to_csv(series: Series) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(series.columns)
    writer.writerows([_csv_safe(cell) for cell in row] for row in series.rows)
    return out.getvalue()


def choices_for(session: Session, t: dict[str, Any]) -> list[tuple[str, str]]:
    """The places whose figures this account may pick: the region (regional accounts), then municipalities."""
    choices = [(REGION, t["analytics_region"])] if session.host.role.regional else []
    return choices + [(m.id, m.name) for m in municipalities.load_all().values()
                      if session.host.may_view_figures(m.id)]


def build_analytics_router(store: Store, session_dependency: Any) -> APIRouter:
    router = APIRouter(include_in_schema=False)  # inside the console's router (/console)

    def scope_of(session: Session, place: str | None) -> tuple[str, list[str] | None]:
        """The place asked for (default: the account's own, or the region) and the municipalities it counts."""
        host = session.host
        chosen = place or host.scope or REGION
        if chosen == REGION:
            if not host.role.regional:
                raise HTTPException(status_code=404, detail="no such municipality")
            return chosen, None
        if chosen not in municipalities.load_all() or not host.may_view_figures(chosen):
            raise HTTPException(status_code=404, detail="no such municipality")
        return chosen, [chosen]

    def period_of(first: dt.date | None, last: dt.date | None) -> Period:
        end = last or dt.datetime.now(ZONE).date()
        start = first or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if end < start:
            raise HTTPException(status_code=422, detail="the first day must not be after the last")
        if (end - start).days >= MAX_DAYS:
            raise HTTPException(status_code=422, detail=f"choose at most {MAX_DAYS} days")
        return Period(start, end)

    async def computed(session: Session, place: str | None, first: dt.date | None,
                       last: dt.date | None) -> tuple[str, Figures]:
        chosen, scope = scope_of(session, place)
        return chosen, await figures(store, period_of(first, last), scope)

    @router.get("/analytics", response_class=HTMLResponse)
    async def analytics(request: Request, session: session_dependency, place: str | None = Query(None, max_length=64),
                        first: dt.date | None = None, last: dt.date | None = None) -> HTMLResponse:
        chosen, found = await computed(session, place, first, last)
        t = host_texts(host_language(request))
        known = municipalities.load_all()
        choices = choices_for(session, t)

        def chart(name: str) -> str:
            series = found.series[name]
            bars = [(label(t, name, row[0]), float(row[1])) for row in series.rows]
            draw = charts.columns if name == "per_day" else charts.horizontal
            return draw(t[f"analytics_{name}"], bars)

        drawn = await asyncio.to_thread(lambda: {name: chart(name) for name in CHARTED})
        return await asyncio.to_thread(
            page, request, "analytics.html", session=session, figures=found, place=chosen, choices=choices,
            places=known,
            charts=drawn, label=lambda series, key: label(t, series, key), order=CHARTED)

    @router.get("/analytics/{name}.csv")
    async def download(name: str, session: session_dependency, place: str | None = Query(None, max_length=64),
                       first: dt.date | None = None, last: dt.date | None = None) -> Response:
        if name not in CHARTED:
            raise HTTPException(status_code=404, detail="no such table")
        chosen, found = await computed(session, place, first, last)
        period = found.period
        filename = f"{name}-{chosen}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
        return Response(to_csv(found.series[name]), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @router.get("/gaps", response_class=HTMLResponse)
    async def gap_report(request: Request, session: session_dependency, place: str | None = Query(None, max_length=64),
                         first: dt.date | None = None, last: dt.date | None = None) -> HTMLResponse:
        """Questions not answered well, grouped by meaning; examples masked (they are what people wrote)."""
        chosen, scope = scope_of(session, place)
        period = period_of(first, last)
        language = host_language(request)
        hide = labels(language)
        found = await gaps(store, period, scope, clean=lambda said: mask(said, hide))
        t = host_texts(language)
        known = municipalities.load_all()
        choices = choices_for(session, t)
        # From a group, an editor starts an entry with its examples as question phrasings.
        layer = next((candidate for candidate in (chosen, SHARED_LAYER)
                      if candidate != REGION and session.host.may_edit(candidate)), None)

        def start_link(gap: Gap) -> str | None:
            if layer is None:
                return None
            query = urlencode([("layer", layer), *((f"q_{e.language}", e.text) for e in gap.examples)])
            return f"/console/faq/new?{query}"

        shown = await asyncio.to_thread(lambda: [
            {"gap": gap, "examples": [example.text for example in gap.examples], "start": start_link(gap),
             "places": [known[p].name if p in known else p for p in gap.municipalities]} for gap in found])
        return await asyncio.to_thread(page, request, "gaps.html", session=session, rows=shown, place=chosen,
                                       choices=choices, places=known, period=period)

    @router.get("/insight", response_class=HTMLResponse)
    async def insight(request: Request, session: session_dependency, first: dt.date | None = None,
                      last: dt.date | None = None) -> HTMLResponse:
        """Across municipalities: topics asked where, and good local answers other municipalities lack.

        The regional accounts see all of it; an editor sees the answers their municipality lacks,
        with a link to start their own from one."""
        host = session.host
        if not (host.role.regional or host.role is Role.EDITOR):
            raise HTTPException(status_code=404, detail="not for this account")
        period = period_of(first, last)
        topics, adoptable = await across(store, period)
        if not host.role.regional:
            adoptable = [a for a in adoptable if host.municipality in a.lacking]
        known = municipalities.load_all()
        columns = [*known, SHARED_LAYER]
        return await asyncio.to_thread(
            page, request, "insight.html", session=session, period=period, topics=topics, columns=columns,
            adoptable=adoptable, places=known, own=host.municipality if host.role is Role.EDITOR else None)

    return router
