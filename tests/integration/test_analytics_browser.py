"""The analytics page in a real browser: charts drawn, the table equal to the seeded conversations,
a CSV download, and every account seeing only the figures its role allows."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from app.stack import Stack
from base.catalog import text as catalog_text
from insight.figures import ZONE
from storage.store import Store
from tests import figures_seed
from tests.figures_seed import EXPECTED_SUMMARY, FIRST, PLACE, expected_per_day
from tests.integration.conftest import PASSWORD, Console, add_host
from tests.integration.test_console_browser import _shots

LAST = FIRST.replace(day=FIRST.day + 2)
RANGE = f"first={FIRST.isoformat()}&last={LAST.isoformat()}"


def _seed(stack: Stack) -> None:
    """Into the running stack's database; in a thread, because Playwright's sync API holds this one's loop."""
    async def run() -> None:
        store = Store(stack.settings.database)
        try:
            await figures_seed.seed(store)
            await figures_seed.seed_gaps(store)
        finally:
            await store.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="module")
def seeded(stack: Stack) -> dict[str, str]:
    _seed(stack)
    suffix = uuid.uuid4().hex[:6]
    accounts = {"host": (f"hanna.{suffix}@haparanda.example", PLACE, "host"),
                "editor": (f"erik.{suffix}@haparanda.example", PLACE, "editor"),
                "stranger": (f"jon.{suffix}@jokkmokk.example", "jokkmokk", "host"),
                "regional": (f"rut.{suffix}@region.example", None, "regional_admin")}
    for email, place, role in accounts.values():
        add_host(stack, email, "X", place, role=role)
    return {name: email for name, (email, _, _) in accounts.items()}


def test_a_hosts_analytics_page_draws_the_seeded_figures_and_downloads_them(
        stack: Stack, browser: Browser, seeded: dict[str, str]) -> None:
    context = browser.new_context(locale="sv-SE", viewport={"width": 1300, "height": 900}, accept_downloads=True)
    console = context.new_page()
    console.goto(f"{stack.app_url}/console/login")
    console.get_by_label("E-postadress").fill(seeded["host"])
    console.get_by_label("Lösenord").fill(PASSWORD)
    console.get_by_role("button", name="Logga in").click()
    console.get_by_role("link", name="Statistik").click()
    expect(console.get_by_role("heading", name="Statistik", level=1)).to_be_visible()
    console.get_by_label("Från").fill(FIRST.isoformat())
    console.get_by_label("Till").fill(LAST.isoformat())
    console.get_by_role("button", name="Visa").click()
    expect(console.locator('[data-figure="conversations"]')).to_have_text(str(EXPECTED_SUMMARY["conversations"]))
    expect(console.locator('[data-figure="tickets_in_time"]')).to_have_text("1 / 2")
    expect(console.locator('[data-figure="median_minutes_to_host"]')).to_have_text("12.0")

    table = console.locator("#table-per_day tbody tr")
    assert [tuple(cells) for cells in (row.locator("td").all_inner_texts() for row in table.all())] == \
        expected_per_day()
    outcomes = console.locator("#table-outcomes tbody tr").filter(has_text="besvarade direkt")
    expect(outcomes.locator("td").nth(1)).to_have_text("2")
    # Every chart is drawn: a bar per row with a count above zero, visible on the page.
    per_day = console.get_by_role("img", name="Samtal per dag")
    expect(per_day).to_be_visible()
    assert per_day.locator("rect.bar").count() == 3
    assert console.get_by_role("img", name="Samtal per kanal").locator("rect.bar").count() == 3
    console.screenshot(path=str(_shots(stack) / "console-analytics.png"), full_page=False)

    with console.expect_download() as started:
        console.locator("#h-languages ~ .figure").get_by_role("link", name="Ladda ner som CSV").click()
    download = started.value
    assert re.fullmatch(rf"languages-{PLACE}-{FIRST.isoformat()}-{LAST.isoformat()}\.csv", download.suggested_filename)
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["label", "conversations"]
    assert dict(rows[1:]) == {"ar": "1", "en": "1", "pl": "1", "sv": "1", "uk": "1"}
    context.close()


def test_figures_are_shown_only_where_the_role_allows(stack: Stack, seeded: dict[str, str]) -> None:
    host, editor, stranger, regional = (Console(stack.app_url, seeded[name])
                                        for name in ("host", "editor", "stranger", "regional"))
    own = f"/console/analytics?place={PLACE}&{RANGE}"
    assert host.client.get(own).status_code == 200 and editor.client.get(own).status_code == 200
    for path in (own, f"/console/analytics/per_day.csv?place={PLACE}&{RANGE}"):
        assert stranger.client.get(path).status_code == 404, path  # a Jokkmokk host: not Haparanda's figures
    for account in (host, editor, stranger):
        assert account.client.get(f"/console/analytics?place=region&{RANGE}").status_code == 404
    region = regional.client.get(f"/console/analytics?place=region&{RANGE}")
    assert region.status_code == 200 and "Hela regionen" in region.text
    assert regional.client.get(own).status_code == 200
    assert host.client.get(f"/console/analytics/secrets.csv?place={PLACE}").status_code == 404
    assert host.client.get(f"/console/analytics?place={PLACE}&first=2020-01-01&last=2026-01-01").status_code == 422
    assert host.client.get(f"/console/analytics?place={PLACE}&first=yesterday").status_code == 422
    assert httpx.Client(base_url=stack.app_url).get(own).status_code == 401


def test_the_widget_asks_for_a_rating_after_goodbye_and_the_region_sees_it(
        stack: Stack, browser: Browser, seeded: dict[str, str]) -> None:
    from tests.integration.test_web import _ask, _bot_messages

    context = browser.new_context(locale="pl-PL")
    page = context.new_page()
    page.goto(f"{stack.app_url}/demo/jokkmokk")
    page.get_by_role("button", name="Otwórz czat z asystentem dla nowych mieszkańców").click()
    _ask(page, "Jak dostać miejsce w przedszkolu dla córki?")  # an answer or choices: either is an exchange
    _ask(page, "dziękuję bardzo")  # answered in order, so the thanks comes last
    expect(_bot_messages(page).last).to_have_text(catalog_text("pl", "utter_thanks"), timeout=60_000)
    _ask(page, "nie")
    expect(_bot_messages(page).last).to_have_text(catalog_text("pl", "satisfaction_ask"), timeout=60_000)
    options = page.get_by_role("group", name="Możliwe odpowiedzi")
    expect(options.get_by_role("button")).to_have_count(5)
    page.screenshot(path=str(_shots(stack) / "widget-satisfaction.png"))
    options.get_by_role("button", name="4").click()
    expect(_bot_messages(page).last).to_have_text(catalog_text("pl", "satisfaction_ask_comment"), timeout=30_000)
    _ask(page, "Szybko i konkretnie")
    expect(_bot_messages(page).last).to_have_text(catalog_text("pl", "satisfaction_thanks"), timeout=30_000)
    context.close()

    regional = Console(stack.app_url, seeded["regional"])
    today = dt.datetime.now(ZONE).date().isoformat()
    page_text = regional.client.get(f"/console/analytics?place=jokkmokk&first={today}&last={today}").text
    assert re.search(r'data-figure="mean_rating">4\.0<', page_text), "the widget's rating is counted for Jokkmokk"
    ratings = regional.client.get(f"/console/analytics/satisfaction_languages.csv?place=jokkmokk&first={today}"
                                  f"&last={today}").text
    assert "pl,4.00,1" in ratings
    assert "Szybko i konkretnie" not in page_text + ratings  # the comment is the person's words: not in figures


def test_the_gap_report_groups_unanswered_questions_across_languages_and_hides_identifiers(
        stack: Stack, browser: Browser, seeded: dict[str, str]) -> None:
    context = browser.new_context(locale="sv-SE", viewport={"width": 1300, "height": 900})
    console = context.new_page()
    console.goto(f"{stack.app_url}/console/login")
    console.get_by_label("E-postadress").fill(seeded["regional"])
    console.get_by_label("Lösenord").fill(PASSWORD)
    console.get_by_role("button", name="Logga in").click()
    console.goto(f"{stack.app_url}/console/gaps?place=region&{RANGE}")
    rows = console.locator("#gaps tbody tr")  # the analytics seed's unanswered "a question" is a group too
    pets, skiing = rows.filter(has_text="cats and dogs"), rows.filter(has_text="ski school")
    expect(pets).to_have_count(1)
    expect(skiing).to_have_count(1)
    expect(pets.locator("td[data-count]")).to_have_text("3")
    expect(pets).to_contain_text("2 kommuner")
    expect(pets).to_contain_text("Gällivare")
    expect(pets).to_contain_text("Do landlords here accept cats and dogs?")
    expect(pets).not_to_contain_text("850709-9805")  # a personal identity number is masked
    expect(skiing.locator("td[data-count]")).to_have_text("2")
    expect(skiing).to_contain_text("Gibt es Skikurse für Erwachsene?")
    console.screenshot(path=str(_shots(stack) / "console-gaps.png"))
    # The regional admin starts a shared entry from the group, its examples as question phrasings.
    skiing.get_by_role("link", name="Skapa en FAQ-post från frågorna").click()
    expect(console.locator("#q_de")).to_have_value("Gibt es Skikurse für Erwachsene?")
    expect(console.locator("#q_en")).to_have_value("Is there a ski school for adults?")
    context.close()
    jokkmokk = Console(stack.app_url, seeded["stranger"])
    assert jokkmokk.client.get(f"/console/gaps?place=norsjo&{RANGE}").status_code == 404
    assert jokkmokk.client.get(f"/console/gaps?place=region&{RANGE}").status_code == 404
    own = jokkmokk.client.get(f"/console/gaps?place=jokkmokk&{RANGE}")
    assert own.status_code == 200 and "cats and dogs" not in own.text


def test_across_municipalities_a_good_local_answer_is_offered_to_those_that_lack_it(
        stack: Stack, seeded: dict[str, str]) -> None:
    from tests.figures_seed import ANSWERED_LOCALLY

    regional = Console(stack.app_url, seeded["regional"])
    page_text = regional.client.get(f"/console/insight?{RANGE}").text
    assert 'id="topics"' in page_text and ANSWERED_LOCALLY in page_text
    suffix = uuid.uuid4().hex[:6]
    add_host(stack, f"editor.{suffix}@jokkmokk.example", "Jonna", "jokkmokk", role="editor")
    editor = Console(stack.app_url, f"editor.{suffix}@jokkmokk.example")
    mine = editor.client.get(f"/console/insight?{RANGE}").text
    assert 'id="topics"' not in mine  # the region's table is the regional accounts'
    start = f"/console/faq/new?layer=jokkmokk&amp;from={ANSWERED_LOCALLY}"
    assert start in mine, "Jokkmokk has no overview of finding a home: its editor may start from Skellefteå's"
    form = editor.client.get(start.replace("&amp;", "&")).text
    assert "How do we find a home in Jokkmokk?" in form  # the question, renamed to the editor's municipality
    assert 'id="sources" name="sources"></textarea>' in form  # Skellefteå's sources do not come along
    assert "Skellefteå" in form  # the answer is a draft to rewrite, and the note says so
    host = Console(stack.app_url, seeded["host"])
    assert host.client.get(f"/console/insight?{RANGE}").status_code == 404
