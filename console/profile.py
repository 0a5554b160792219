"""The host's own profile in the console: the languages they speak and their video-meeting link.

The languages decide to whom a waiting conversation is offered first (``handoff.desk.offer``); the
link is kept for booked meetings. What is valid is ``HostStore.set_profile``'s to say; this page
only turns the form into its arguments and shows each problem at its field, in the host's language.
Every account has a profile (an admin may host too); only hosts are offered conversations.
"""

# No `from __future__ import annotations` here: FastAPI reads the dependency annotations at declaration.

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

import municipalities
from base.definitions import LANGUAGES
from console.auth import Session, check_csrf
from console.pages import page
from handoff.hosts import MAX_LINK, HostStore, InvalidProfile

#: The most a form may carry: one checkbox per language, the link and the CSRF token.
MAX_FIELDS = len(LANGUAGES) + 4


def build_profile_router(hosts: HostStore, session_dependency: Any) -> APIRouter:
    router = APIRouter(include_in_schema=False)  # inside the console's router (/console)

    def form_page(request: Request, session: Session, languages: tuple[str, ...], link: str, *,
                  problems: dict[str, str] | None = None, saved: bool = False, status_code: int = 200) -> HTMLResponse:
        return page(request, "profile.html", status_code=status_code, session=session, languages=LANGUAGES,
                    chosen=languages, link=link, problems=problems or {}, saved=saved, max_link=MAX_LINK,
                    places=municipalities.load_all())

    @router.get("/profile", response_class=HTMLResponse)
    async def profile(request: Request, session: session_dependency, saved: int = 0) -> HTMLResponse:
        host = session.host
        return await asyncio.to_thread(form_page, request, session, host.languages, host.meeting_link or "",
                                       saved=bool(saved))

    @router.post("/profile")
    async def save(request: Request, session: session_dependency) -> Response:
        form = await request.form(max_fields=MAX_FIELDS)
        check_csrf(request, session, str(form.get("csrf") or ""))
        languages = [str(value) for value in form.getlist("languages")]
        link = str(form.get("meeting_link") or "")
        try:
            await hosts.set_profile(session.host.id, languages, link)
        except InvalidProfile as invalid:
            # What was sent comes back as it was (escaped by the template), so the host corrects it.
            shown = tuple(language for language in LANGUAGES if language in languages)
            return await asyncio.to_thread(form_page, request, session, shown, link[:MAX_LINK * 2],
                                           problems=invalid.problems, status_code=422)
        return RedirectResponse("/console/profile?saved=1", status_code=303)

    return router
