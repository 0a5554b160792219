"""The web chat in a real browser: Debian's Chromium driven by Playwright (never a downloaded browser).

Our widget on the demo page, in Swedish and Polish browsers, keeps its conversation across a reload
and a second tab; the open-source rasa-webchat widget (npm), embedded on a page of another origin,
talks to the same gateway unchanged.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from playwright.sync_api import Browser, Page, expect

from app.platforms import BackgroundServer
from app.settings import PROJECT_ROOT
from app.stack import Stack

SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"


def _open_widget(page: Page) -> None:
    page.get_by_role("button", name=re.compile("chat", re.I)).first.click()
    expect(page.get_by_role("dialog")).to_be_visible()


def _ask(page: Page, text: str) -> None:
    page.get_by_role("textbox").fill(text)
    page.keyboard.press("Enter")


def _bot_messages(page: Page):
    return page.locator("#newcomer-chat .msg.bot")


def test_swedish_visitor_chats_reloads_and_keeps_the_conversation(stack: Stack, browser: Browser) -> None:
    context = browser.new_context(locale="sv-SE", viewport={"width": 1100, "height": 760})
    page = context.new_page()
    page.goto(f"{stack.app_url}/demo/boden")
    launcher = page.get_by_role("button", name="Öppna chatten med inflyttningsassistenten")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    dialog = page.get_by_role("dialog", name="Chatta med Bodens inflyttningsassistent")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("Du chattar med en automatisk assistent")).to_be_visible()
    expect(page.get_by_role("textbox", name="Ditt meddelande")).to_be_focused()

    _ask(page, "Hur ansöker man om förskoleplats?")
    expect(page.get_by_role("status")).to_have_text("Assistenten skriver …")
    expect(_bot_messages(page).filter(has_text="förskol").first).to_be_visible(timeout=60_000)
    link = dialog.get_by_role("link").first
    expect(link).to_have_attribute("href", re.compile(r"^https?://"))
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    answered = _bot_messages(page).count()

    page.reload()
    expect(page.get_by_role("dialog")).to_be_visible()  # it stays open
    expect(_bot_messages(page)).to_have_count(answered, timeout=30_000)
    expect(page.locator("#newcomer-chat .msg.user").first).to_have_text("Hur ansöker man om förskoleplats?")

    second_tab = context.new_page()
    second_tab.goto(f"{stack.app_url}/demo/boden")
    expect(second_tab.locator("#newcomer-chat .msg.user").first).to_have_text(
        "Hur ansöker man om förskoleplats?", timeout=30_000)
    _ask(second_tab, "Finns det fritidsaktiviteter för barn?")
    expect(page.locator("#newcomer-chat .msg.user").last).to_have_text("Finns det fritidsaktiviteter för barn?",
                                                                         timeout=30_000)
    expect(_bot_messages(page)).to_have_count(answered + 1, timeout=60_000)
    # UPDATE_SCREENSHOTS=1 refreshes the README's picture; otherwise it goes to the test's var dir.
    target = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") else Path(stack.settings.var_dir)
    target.mkdir(parents=True, exist_ok=True)
    page.locator("#newcomer-chat .msg.user").last.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(target / "widget.png"))
    context.close()


def test_polish_visitor_gets_polish_texts_buttons_and_answers(stack: Stack, browser: Browser) -> None:
    context = browser.new_context(locale="pl-PL")
    page = context.new_page()
    page.goto(f"{stack.app_url}/demo/boden")
    page.get_by_role("button", name="Otwórz czat z asystentem dla nowych mieszkańców").click()
    expect(page.get_by_role("button", name="Wyślij")).to_be_visible()
    _ask(page, "/lang")  # the typed command: what an NLU model makes of a phrasing varies by training
    options = page.get_by_role("group", name="Możliwe odpowiedzi")
    expect(options).to_be_visible(timeout=60_000)
    expect(options.get_by_role("button")).to_have_count(8)
    options.get_by_role("button", name="Polski").click()
    expect(options).to_have_count(0)
    expect(_bot_messages(page).last).to_contain_text("polsk", timeout=60_000)
    _ask(page, "Jak znaleźć mieszkanie w Boden?")
    expect(_bot_messages(page).filter(has_text="mieszka").last).to_be_visible(timeout=60_000)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.get_by_role("button", name="Otwórz czat z asystentem dla nowych mieszkańców")).to_be_focused()
    page.reload()
    page.get_by_role("button", name="Otwórz czat z asystentem dla nowych mieszkańców").click()
    expect(page.locator("#newcomer-chat .msg.user").last).to_have_text("Jak znaleźć mieszkanie w Boden?",
                                                                        timeout=30_000)
    context.close()


def test_bot_text_is_never_rendered_as_html(stack: Stack, browser: Browser) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{stack.app_url}/demo/lulea")
    _open_widget(page)
    _ask(page, "<img src=x onerror=alert(1)> <script>alert(2)</script>")
    expect(_bot_messages(page).last).to_be_visible(timeout=60_000)
    expect(page.locator("#newcomer-chat .msg.user").last).to_have_text(
        "<img src=x onerror=alert(1)> <script>alert(2)</script>")
    assert page.locator("#newcomer-chat img").count() == 0
    assert dialogs == []
    context.close()


@pytest.fixture(scope="module")
def rasa_webchat_site(stack: Stack) -> Iterator[str]:
    """A page on another origin that embeds rasa-webchat from npm, pointed at the gateway."""
    site = FastAPI()
    site.mount("/npm", StaticFiles(directory=PROJECT_ROOT / "node_modules"), name="npm")

    @site.get("/", response_class=HTMLResponse)
    async def page() -> str:
        return f"""<!doctype html><html><head><meta charset="utf-8"><title>Municipality site</title></head>
<body><h1>Kommunens webbplats</h1><div id="webchat"></div>
<script src="/npm/rasa-webchat/lib/index.js"></script>
<script>
  WebChat.default({{
    selector: "#webchat",
    socketUrl: "{stack.app_url}",
    socketPath: "/socket.io/",
    customData: {{ municipality: "skelleftea", language: "de" }},
    title: "Skellefteå",
    params: {{ storage: "local" }}
  }}, null);
</script></body></html>"""

    with BackgroundServer(site) as server:
        yield server.url


def test_rasa_webchat_widget_works_against_the_gateway_unchanged(rasa_webchat_site: str, browser: Browser) -> None:
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(rasa_webchat_site)
    page.locator(".rw-launcher").click()
    page.locator(".rw-new-message").fill("Wie bekomme ich in Skellefteå schneller eine Wohnung?")  # answered directly
    page.keyboard.press("Enter")
    expect(page.locator(".rw-response").filter(has_text="Wohnung").first).to_be_visible(timeout=60_000)
    expect(page.locator(".rw-response").filter(has_text="Skellefteå").first).to_be_visible()
    page.locator(".rw-new-message").fill("Ich möchte die Sprache ändern")
    page.keyboard.press("Enter")
    reply = page.locator(".rw-replies .rw-reply").filter(has_text="Deutsch")
    expect(reply).to_be_visible(timeout=60_000)
    reply.click()
    expect(page.locator(".rw-response").last).to_contain_text("Deutsch", timeout=60_000)
    page.reload()
    page.locator(".rw-launcher").wait_for()
    if not page.locator(".rw-conversation-container").is_visible():
        page.locator(".rw-launcher").click()
    expect(page.locator(".rw-response").filter(has_text="Wohnung").first).to_be_visible(timeout=30_000)
    context.close()
