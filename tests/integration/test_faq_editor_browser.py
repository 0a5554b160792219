"""An editor adds an FAQ entry in the console (a real browser) and the bot answers it without a
restart (no time is asserted: the test only waits); the form shows problems at their fields;
nobody edits another municipality's answers.

The stack edits a copy of the FAQ (tests/conftest.py sets FAQ_DIR and INDEX_DIR), so the entry
below, made up for the test, never reaches the repository's content.
"""

from __future__ import annotations

import random
import uuid

import pytest
import yaml
from playwright.sync_api import Browser, expect

from app.platforms import wait_for
from app.stack import Stack
from base.definitions import LANGUAGES
from tests.conftest import Chat
from tests.integration.conftest import PASSWORD, Console, add_host
from tests.integration.test_console_browser import _shots

QUESTION = "Can I borrow a kicksled at the Jokkmokk library?"


@pytest.fixture(scope="module")
def editors(stack: Stack) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:6]
    accounts = {"jokkmokk": f"edit.{suffix}@jokkmokk.example", "boden": f"edit.{suffix}@boden.example"}
    for place, email in accounts.items():
        add_host(stack, email, "Elin", place, role="editor")
    return accounts


def _answer(stack: Stack, question: str) -> dict:
    """The FAQ answer a new conversation gets (each from its own address: polling is no flood)."""
    address = f"10.77.{random.randrange(256)}.{random.randrange(1, 255)}"
    said = Chat(stack.app_url, "jokkmokk", "en", address=address).send(question)
    return next((m for m in said if (m.get("custom") or {}).get("faq_id")), {})


def test_an_editor_publishes_an_entry_and_the_bot_answers_it_without_a_restart(
        stack: Stack, browser: Browser, editors: dict[str, str]) -> None:
    assert _answer(stack, QUESTION).get("custom", {}).get("faq_id") != "jokkmokk.leisure.kicksled_loan"
    context = browser.new_context(locale="en-GB", viewport={"width": 1300, "height": 1000})
    console = context.new_page()
    console.goto(f"{stack.app_url}/console/language/en")
    console.goto(f"{stack.app_url}/console/login")
    console.get_by_label("E-mail address").fill(editors["jokkmokk"])
    console.get_by_label("Password").fill(PASSWORD)
    console.get_by_role("button", name="Log in").click()
    console.get_by_role("link", name="FAQ", exact=True).click()
    console.get_by_role("link", name="New entry").click()
    console.get_by_label("Short name (becomes part of the id)").fill("kicksled_loan")
    console.get_by_label("Topic").select_option("leisure")
    console.get_by_label("Question phrasings, one per line (en)").fill(f"{QUESTION}\nIs there a kicksled to borrow?")
    console.get_by_role("button", name="Save draft").click()
    # Saved as a draft; what stops publishing is shown at its field.
    expect(console.get_by_role("alert")).to_contain_text("sources")
    expect(console.locator("#sources ~ .problem")).to_contain_text("required")
    expect(console.get_by_role("button", name="Publish")).to_be_disabled()
    console.get_by_label("Sources, one URL per line").fill("https://example.org/jokkmokk-library")
    console.get_by_role("button", name="Save draft").click()
    expect(console.locator("#q_sv ~ .problem")).to_contain_text("at least two phrasings")

    for lang in LANGUAGES:
        if lang != "en":
            console.locator(f"#q_{lang}").fill(f"{QUESTION} ({lang})\nKicksled loan? ({lang})")
        console.locator(f"#a_{lang}").fill(f"Yes, the library lends kicksleds for a week ({lang}).")
    console.get_by_role("button", name="Save draft").click()
    expect(console.get_by_role("alert")).to_have_count(0)
    console.screenshot(path=str(_shots(stack) / "console-faq-editor.png"), full_page=False)
    console.get_by_role("button", name="Publish").click()
    expect(console.get_by_role("status")).to_contain_text("jokkmokk.leisure.kicksled_loan", timeout=120_000)
    expect(console.locator("#edits")).to_contain_text("published")
    expect(console.locator("#edits")).to_contain_text("Elin")  # who published it
    console.screenshot(path=str(_shots(stack) / "console-faq-list.png"))
    context.close()

    written = yaml.safe_load((stack.settings.var_dir / "faq" / "jokkmokk" / "leisure_kicksled_loan.yml")
                             .read_text(encoding="utf-8"))
    assert written["questions"]["en"][0] == QUESTION and written["sources"] == ["https://example.org/jokkmokk-library"]
    # The running app notices the new index by itself (no restart); how fast is not this test's to say.
    answer = wait_for(lambda: (found := _answer(stack, QUESTION)).get("custom", {}).get("faq_id")
                      == "jokkmokk.leisure.kicksled_loan" and found, timeout=120, what="the published entry's answer")
    assert "kicksleds for a week (en)" in answer["text"]


def test_editors_reach_only_their_own_layer_and_need_the_csrf_token(stack: Stack, editors: dict[str, str]) -> None:
    boden = Console(stack.app_url, editors["boden"])
    assert boden.client.get("/console/faq?layer=jokkmokk").status_code == 404
    assert boden.client.get("/console/faq?layer=shared").status_code == 404
    assert boden.client.get("/console/faq/new?layer=jokkmokk").status_code == 404
    assert boden.client.get("/console/faq?layer=boden").status_code == 200
    form = {"layer": "jokkmokk", "name": "x", "topic": "leisure", "csrf": boden.csrf}
    assert boden.client.post("/console/faq/save", data=form).status_code == 404
    assert boden.client.post("/console/faq/save", data={**form, "layer": "boden", "csrf": "guess"}).status_code == 403
    cross = boden.client.post("/console/faq/save", data={**form, "layer": "boden"},
                              headers={"origin": "https://evil.example"})
    assert cross.status_code == 403
    suffix = uuid.uuid4().hex[:6]
    add_host(stack, f"host.{suffix}@boden.example", "Hans", "boden")
    # A draft of Jokkmokk's is Jokkmokk's: Boden's editor can neither open, publish nor discard it.
    jokkmokk = Console(stack.app_url, editors["jokkmokk"])
    saved = jokkmokk.client.post("/console/faq/save", data={**form, "layer": "jokkmokk", "csrf": jokkmokk.csrf})
    assert saved.status_code == 303, saved.text
    draft = saved.headers["location"]
    assert boden.client.get(draft).status_code == 404
    for verb in ("publish", "discard"):
        assert boden.post(f"{draft}/{verb}").status_code == 404
        assert jokkmokk.client.post(f"{draft}/{verb}", data={"csrf": "guess"}).status_code == 403
    assert boden.client.get("/console/faq/entry?layer=jokkmokk&id=jokkmokk.general.about").status_code == 404
    host = Console(stack.app_url, f"host.{suffix}@boden.example")  # takes conversations, edits nothing
    assert host.client.get("/console/faq?layer=boden").status_code == 404
