"""The handoff in two real browsers: a newcomer in the web widget (Polish) and a Boden host in the console."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from app.stack import Stack
from base.catalog import text as catalog_text
from tests.integration.conftest import PASSWORD
from tests.integration.test_web import SCREENSHOTS


def _shots(stack: Stack) -> Path:
    target = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") else Path(stack.settings.var_dir)
    target.mkdir(parents=True, exist_ok=True)
    return target


def test_polish_newcomer_and_boden_host_in_two_browsers(stack: Stack, browser: Browser, hosts) -> None:
    host = browser.new_context(locale="sv-SE", viewport={"width": 1200, "height": 800})
    console = host.new_page()
    console.goto(f"{stack.app_url}/console/login")
    console.get_by_label("E-postadress").fill(hosts["boden"].email)
    console.get_by_label("Lösenord").fill(PASSWORD)
    console.get_by_role("button", name="Logga in").click()
    expect(console.get_by_role("heading", name=re.compile("Väntar"))).to_be_visible()

    newcomer = browser.new_context(locale="pl-PL")
    widget = newcomer.new_page()
    widget.goto(f"{stack.app_url}/demo/boden")
    widget.get_by_role("button", name=catalog_text("pl", "web_open")).click()
    widget.get_by_role("textbox").fill("Chcę porozmawiać z człowiekiem")
    widget.keyboard.press("Enter")
    widget.get_by_role("button", name=catalog_text("pl", "handoff_method_chat")).click(timeout=60_000)
    expect(widget.locator("#newcomer-chat .msg.bot").last).to_have_text(catalog_text("pl", "handoff_ask_need"),
                                                                      timeout=30_000)
    widget.get_by_role("textbox").fill("Mój wniosek o pozwolenie na pracę utknął, potrzebuję pomocy.")
    widget.keyboard.press("Enter")
    widget.get_by_role("button", name=catalog_text("pl", "handoff_yes")).click(timeout=30_000)
    expect(widget.locator("#newcomer-chat .msg.bot").last).to_contain_text("Boden", timeout=30_000)

    # The open console learns of the new waiting conversation over its websocket and reloads.
    row = console.get_by_role("row").filter(has_text="Mój wniosek o pozwolenie na pracę utknął")
    expect(row).to_be_visible(timeout=30_000)
    console.screenshot(path=str(_shots(stack) / "console-queue.png"))
    row.get_by_role("link", name="Öppna").click()
    expect(console.get_by_text("Chcę porozmawiać z człowiekiem")).to_be_visible()
    console.get_by_role("button", name="Ta samtalet").click()
    joined = catalog_text("pl", "handoff_host_joined", host_name="Anna", municipality_name="Boden")
    expect(widget.locator("#newcomer-chat .msg.bot").last).to_have_text(joined, timeout=30_000)

    console.get_by_label("Ditt svar").fill("Dzień dobry! Tu Anna. W czym mogę pomóc?")
    console.get_by_role("button", name="Skicka").click()
    expect(widget.locator("#newcomer-chat .msg.bot").last).to_have_text("Dzień dobry! Tu Anna. W czym mogę pomóc?",
                                                                      timeout=30_000)
    widget.get_by_role("textbox").fill("Czekam od czterech miesięcy na decyzję.")
    widget.keyboard.press("Enter")
    expect(console.get_by_text("Czekam od czterech miesięcy na decyzję.")).to_be_visible(timeout=30_000)
    console.screenshot(path=str(_shots(stack) / "console-chat.png"), full_page=True)

    console.get_by_role("button", name="Lämna tillbaka till assistenten").click()
    returned = catalog_text("pl", "handoff_returned", host_name="Anna")
    expect(widget.locator("#newcomer-chat .msg.bot").filter(has_text=returned)).to_be_visible(timeout=30_000)
    expect(widget.locator("#newcomer-chat .msg.bot").last).to_have_text(catalog_text("pl", "satisfaction_ask"),
                                                                      timeout=30_000)
    widget.get_by_role("textbox").fill("Jak znaleźć mieszkanie w Boden?")
    widget.keyboard.press("Enter")
    expect(widget.locator("#newcomer-chat .msg.bot").filter(has_text="mieszka").last).to_be_visible(timeout=60_000)
    newcomer.close()
    host.close()
