"""The FAQ editor in the console: a layer's entries, a form per entry, drafts, publishing.

Who may edit a layer is ``Host.may_edit`` (editors their municipality, the regional admin the
shared layer); anything else is a 404, as for conversations. Every POST carries the session's
CSRF token and must come from the console's own origin. The form is turned into the entry's
fields here; what is right or wrong about them is the validator's to say (``editing.drafts``).
"""

# No `from __future__ import annotations` here: FastAPI reads the dependency annotations at declaration.

import asyncio
import datetime as dt
import re
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

import municipalities
from base.definitions import FAQ_TOPICS, LANGUAGES
from console.auth import Session, check_csrf
from console.pages import page
from editing.drafts import Drafts, Edit, EditStatus, NotAllowed, PublishFailed
from knowledge.content.entries import FAQ_ROOT, SHARED_LAYER, entries_for, entry_by_id, load_layer

MAX_FIELD = 8000
_NAME = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """An id part from what an editor typed: "Dogs & cats" -> "dogs_cats"."""
    return _NAME.sub("_", text.lower()).strip("_")[:60]


def body_of(form: dict[str, str], layer: str) -> dict[str, Any]:
    """The entry's fields from the submitted form (lines become lists, empty fields are left out)."""
    def lines(name: str) -> list[str]:
        return [line.strip() for line in form.get(name, "")[:MAX_FIELD].splitlines() if line.strip()]

    entry_id = form.get("id", "").strip()
    topic = form.get("topic", "").strip()
    if not entry_id:
        entry_id = f"{layer}.{topic}.{slug(form.get('name', ''))}"
    body: dict[str, Any] = {
        "id": entry_id, "topic": topic,
        "questions": {lang: lines(f"q_{lang}") for lang in LANGUAGES if lines(f"q_{lang}")},
        "answer": {lang: form[f"a_{lang}"].strip()[:MAX_FIELD]
                   for lang in LANGUAGES if form.get(f"a_{lang}", "").strip()},
        "sources": lines("sources"), "verified": form.get("verified", "").strip(),
        "time_sensitive": form.get("time_sensitive") == "on",
    }
    if form.get("overrides", "").strip() and layer != SHARED_LAYER:
        body["overrides"] = form["overrides"].strip()
    if lines("covers"):
        body["covers"] = lines("covers")
    return body


def body_from_entry(entry: Any) -> dict[str, Any]:
    return {"id": entry.id, "topic": entry.topic, "questions": dict(entry.questions), "answer": dict(entry.answer),
            "sources": [str(url) for url in entry.sources], "verified": entry.verified.isoformat(),
            "time_sensitive": entry.time_sensitive, "overrides": entry.overrides or "", "covers": list(entry.covers)}


def build_faq_router(drafts: Drafts, hosts: Any, session_dependency: Any) -> APIRouter:
    router = APIRouter(prefix="/faq", include_in_schema=False)  # inside the console's router (/console)

    def allowed(session: Session, layer: str) -> None:
        if layer != SHARED_LAYER and layer not in municipalities.load_all():
            raise HTTPException(status_code=404, detail="no such FAQ")
        if not session.host.may_edit(layer):
            raise HTTPException(status_code=404, detail="no such FAQ")

    def default_layer(session: Session) -> str:
        return session.host.scope or SHARED_LAYER

    async def editable(session: Session, edit_id: int) -> Edit:
        edit = await drafts.get(edit_id)
        if edit is None or not session.host.may_edit(edit.layer):
            raise HTTPException(status_code=404, detail="no such draft")
        return edit

    def form_page(request: Request, session: Session, layer: str, body: dict[str, Any], *, edit: Edit | None = None,
                  problems: dict[str, str] | None = None, status_code: int = 200, origin: Any = None) -> HTMLResponse:
        shared = [] if layer == SHARED_LAYER else [e.id for e in load_layer(SHARED_LAYER, FAQ_ROOT)]
        existing = any(e.id == body.get("id") for e in load_layer(layer, FAQ_ROOT)) if body.get("id") else False
        return page(request, "faq_edit.html", status_code=status_code, session=session, layer=layer, body=body,
                    edit=edit, problems=problems or {}, topics=FAQ_TOPICS, languages=LANGUAGES, shared=shared,
                    fixed_id=bool(edit or existing), today=dt.date.today().isoformat(), origin=origin,
                    place=municipalities.load_all().get(layer), places=municipalities.load_all())

    @router.get("", response_class=HTMLResponse)
    async def entries(request: Request, session: session_dependency, layer: str | None = Query(None, max_length=64),
                      published: str | None = Query(None, max_length=200)) -> HTMLResponse:
        chosen = layer or default_layer(session)
        allowed(session, chosen)
        own = await asyncio.to_thread(lambda: [e for e in entries_for(chosen) if e.layer == chosen])
        edits = await drafts.for_layer(chosen)
        people = {edit.published_by or edit.created_by for edit in edits}
        names = {person: (await hosts.get(person)) for person in people}
        who = {person: found.first_name if found else "–" for person, found in names.items()}
        return await asyncio.to_thread(page, request, "faq.html", session=session, layer=chosen, entries=own,
                                       edits=edits, who=who, published=published,
                                       place=municipalities.load_all().get(chosen),
                                       places=municipalities.load_all())

    @router.get("/new", response_class=HTMLResponse)
    async def new(request: Request, session: session_dependency, layer: str = Query(max_length=64),
                  start: str | None = Query(None, alias="from", max_length=200)) -> HTMLResponse:
        """A blank form; ``q_<lang>`` parameters pre-fill question phrasings (the gap report's examples),
        ``from`` another municipality's entry (the cross-municipality view): its questions with the
        place renamed and its answers as a draft to rewrite, but not its sources, which speak for
        the other municipality only."""
        allowed(session, layer)
        questions = {lang: [line for line in request.query_params.getlist(f"q_{lang}") if line.strip()][:10]
                     for lang in LANGUAGES}
        body: dict[str, Any] = {"questions": {lang: q for lang, q in questions.items() if q},
                                "verified": dt.date.today().isoformat(), "time_sensitive": True}
        origin = entry_by_id(start) if start else None
        if origin is not None and layer != SHARED_LAYER and origin.layer not in (layer, SHARED_LAYER):
            body = {"topic": origin.topic, "verified": dt.date.today().isoformat(), "time_sensitive": True,
                    "questions": {lang: [municipalities.renamed(q, layer) for q in qs]
                                  for lang, qs in origin.questions.items()},
                    "answer": dict(origin.answer)}
        return await asyncio.to_thread(form_page, request, session, layer, body, origin=origin)

    @router.get("/entry", response_class=HTMLResponse)
    async def existing(request: Request, session: session_dependency, layer: str = Query(max_length=64),
                       id: str = Query(max_length=200)) -> HTMLResponse:
        allowed(session, layer)
        entry = next((e for e in load_layer(layer, FAQ_ROOT) if e.id == id), None)
        if entry is None:
            raise HTTPException(status_code=404, detail="no such entry")
        return await asyncio.to_thread(form_page, request, session, layer, body_from_entry(entry))

    @router.get("/edits/{edit_id}", response_class=HTMLResponse)
    async def draft(edit_id: int, request: Request, session: session_dependency) -> HTMLResponse:
        edit = await editable(session, edit_id)
        problems = await drafts.check(edit.layer, edit.body) if edit.status is EditStatus.DRAFT else {}
        return await asyncio.to_thread(form_page, request, session, edit.layer, edit.body, edit=edit,
                                       problems=problems)

    @router.post("/save")
    async def save(request: Request, session: session_dependency) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        check_csrf(request, session, form.get("csrf"))
        layer = form.get("layer", "")
        allowed(session, layer)
        raw_id = form.get("edit_id", "")
        edit_id = int(raw_id) if raw_id.isdigit() else None
        if edit_id is not None:
            await editable(session, edit_id)
        try:
            edit, _ = await drafts.save(session.host, layer, body_of(form, layer), edit_id)
        except NotAllowed:
            raise HTTPException(status_code=409, detail="this draft was published or discarded meanwhile") from None
        return RedirectResponse(f"/console/faq/edits/{edit.id}", status_code=303)

    async def posted(request: Request, session: Session, edit_id: int) -> Edit:
        """The draft a verb is posted for, after the CSRF and origin checks and the account's right to it."""
        form = await request.form()
        check_csrf(request, session, str(form.get("csrf") or ""))
        return await editable(session, edit_id)

    @router.post("/edits/{edit_id}/publish")
    async def publish(edit_id: int, request: Request, session: session_dependency) -> Response:
        edit = await posted(request, session, edit_id)
        try:
            problems = await drafts.publish(session.host, edit)
        except NotAllowed:
            raise HTTPException(status_code=409, detail="only a draft can be published") from None
        except PublishFailed:
            problems = {"(entry)": "the index could not be rebuilt; nothing changed for newcomers"}
        if problems:
            return await asyncio.to_thread(form_page, request, session, edit.layer, edit.body, edit=edit,
                                           problems=problems, status_code=422)
        return RedirectResponse(f"/console/faq?layer={edit.layer}&published={edit.entry_id}", status_code=303)

    @router.post("/edits/{edit_id}/discard")
    async def discard(edit_id: int, request: Request, session: session_dependency) -> Response:
        edit = await posted(request, session, edit_id)
        await drafts.discard(session.host, edit)
        return RedirectResponse(f"/console/faq?layer={edit.layer}", status_code=303)

    return router
