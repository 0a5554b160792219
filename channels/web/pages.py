"""The web channel's HTTP side: the widget's files, its texts, and demo pages per municipality.

A municipality embeds the widget with one script tag; the script asks ``/web/config`` for its texts
in the browser's language. ``make run`` prints the demo pages, stand-ins for a municipality's site.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

import municipalities
from assistant.language import normalise_code
from base.catalog import text as catalog_text
from base.definitions import FALLBACK_LANGUAGE, LANGUAGES
from base.paths import PROJECT_ROOT

STATIC = Path(__file__).resolve().parent / "static"
SOCKET_IO_CLIENT = PROJECT_ROOT / "node_modules" / "socket.io-client" / "dist"
#: The widget's own texts, looked up in base/locales/<lang>.yml.
WIDGET_TEXTS = ("web_title", "web_open", "web_close", "web_notice", "web_input_label", "web_placeholder",
                "web_send", "web_typing", "web_offline", "web_options")


def widget_language(preferences: str | None) -> str:
    """The first supported language among the browser's preferences (navigator.languages)."""
    for item in (preferences or "").split(","):
        code = normalise_code(item.strip())
        if code in LANGUAGES:
            return code
    return FALLBACK_LANGUAGE


def _page(template: str, language: str, **values: str) -> str:
    page = (STATIC / template).read_text(encoding="utf-8")
    for key, value in {"lang": language, **values}.items():
        page = page.replace("{{" + key + "}}", value)
    return page


def _visitor_language(request: Request) -> str:
    return widget_language(request.headers.get("accept-language", "").replace(";", ","))


router = APIRouter()


@router.get("/web/widget.js", include_in_schema=False)
async def widget_js() -> FileResponse:
    return FileResponse(STATIC / "widget.js", media_type="text/javascript")


@router.get("/web/socket.io.min.js", include_in_schema=False)
async def socketio_client() -> FileResponse:
    path = SOCKET_IO_CLIENT / "socket.io.min.js"
    if not path.exists():
        raise HTTPException(status_code=503, detail="the socket.io client is not installed; run `make run`")
    return FileResponse(path, media_type="text/javascript")


@router.get("/web/config", responses={404: {"description": "unknown municipality"}})
async def widget_config(municipality: str = Query(max_length=64),
                        languages: str | None = Query(default=None, max_length=300)) -> JSONResponse:
    """The widget's texts in the browser's language and the municipality's name."""
    place = municipalities.load_all().get(municipality)
    if place is None:
        raise HTTPException(status_code=404, detail="unknown municipality")
    language = widget_language(languages)
    texts = {key: catalog_text(language, key, municipality_name=place.name) for key in WIDGET_TEXTS}
    return JSONResponse({"municipality": place.id, "municipality_name": place.name, "language": language,
                         "texts": texts}, headers={"Cache-Control": "no-cache"})


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def demo_index(request: Request) -> str:
    """A list of the demo municipality pages `make run` prints."""
    language = _visitor_language(request)
    links = "".join(f'<li><a href="/demo/{m.id}">{html.escape(m.name)}</a></li>'
                    for m in municipalities.load_all().values())
    return _page("index.html", language, heading=html.escape(catalog_text(language, "demo_index_heading")),
                 intro=html.escape(catalog_text(language, "demo_index_intro")), links=links)


@router.get("/demo/{municipality}", response_class=HTMLResponse, include_in_schema=False)
async def demo_page(municipality: str, request: Request) -> str:
    """A stand-in for a municipality's web site with the widget's one script tag."""
    place = municipalities.load_all().get(municipality)
    if place is None:
        raise HTTPException(status_code=404, detail="unknown municipality")
    language = _visitor_language(request)
    return _page("demo.html", language, name=html.escape(place.name), id=html.escape(place.id),
                 base=html.escape(str(request.base_url).rstrip("/")),
                 heading=html.escape(catalog_text(language, "demo_heading", municipality_name=place.name)),
                 intro=html.escape(catalog_text(language, "demo_intro", municipality_name=place.name)))
