"""Tenant files: loading, and recognising municipality names in free text."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

import municipalities
from municipalities import OfficeHours, mentioned_in


def test_the_four_municipalities_are_configured() -> None:
    assert {"boden", "skelleftea", "jokkmokk", "lulea"} <= set(municipalities.load_all())


def test_every_contact_names_its_source() -> None:
    for place in municipalities.load_all().values():
        assert place.host_contact.source
        assert place.office_hours.days


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What about Luleå?", ["lulea"]),
        ("what about lulea", ["lulea"]),
        ("Bostäder i Skellefteå och Boden", ["skelleftea", "boden"]),
        ("Bodens kommun förskola", ["boden"]),
        ("I like bodega food", []),
        ("JOKKMOKK winter market", ["jokkmokk"]),
        # Finnish names and case endings: "in Luleå", "from Luleå", "to Haparanda"
        ("Miten löydän asunnon Luulajasta?", ["lulea"]),
        ("Onko Luleåssa ja Kiirunassa kouluja?", ["lulea", "kiruna"]),
        ("Muutamme Haaparannalle", ["haparanda"]),
        ("Päiväkoti Jällivaarassa", ["gallivare"]),
        # Polish case endings: "in Kiruna", "to Haparanda"
        ("Czy w Kirunie jest basen? Jedziemy potem do Haparandy", ["kiruna", "haparanda"]),
    ],
)
def test_mentions_are_found_case_and_accent_insensitively(text: str, expected: list[str]) -> None:
    assert mentioned_in(text) == expected


def test_malformed_municipality_file_is_rejected(tmp_path) -> None:
    path = tmp_path / "narnia.yml"
    path.write_text("id: narnia\nname: Narnia\nregion: X\nlanguages: [sv, xx]\n")
    with pytest.raises(municipalities.ConfigError) as error:
        municipalities.load_file(path)
    assert "narnia.yml" in str(error.value) and "languages" in str(error.value)


def test_a_contact_page_must_be_a_service_not_a_school_or_press_page(tmp_path: Path) -> None:
    raw = yaml.safe_load((municipalities.CONFIG_DIR / "boden.yml").read_text(encoding="utf-8"))
    raw["host_contact"]["web"] = "https://www.lulea.se/kommun--politik/press--och-informationsmaterial/x.html"
    (tmp_path / "boden.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(municipalities.ConfigError, match=r"host_contact\.web.*press"):
        municipalities.load_file(tmp_path / "boden.yml")


@pytest.mark.parametrize(("text", "to", "expected"), [
    ("Is it easy to find work in Jokkmokk?", "skelleftea", "Is it easy to find work in Skellefteå?"),
    ("Voiko Suomessa asua ja käydä töissä Kiirunassa?", "haparanda", "Voiko Suomessa asua ja käydä töissä Haparanda?"),
    ("Hur är det i Bodens kommun?", "lulea", "Hur är det i Luleå kommun?"),
    ("Ile kosztuje przedszkole w Luleå?", "lulea", "Ile kosztuje przedszkole w Luleå?"),  # already there
    ("Where do I apply for preschool?", "boden", "Where do I apply for preschool?"),  # no place: unchanged
])
def test_a_question_asked_again_for_another_municipality_names_that_one(text: str, to: str, expected: str) -> None:
    assert municipalities.renamed(text, to) == expected


def test_a_ticket_is_due_by_the_close_of_the_first_office_day_from_when_it_was_made() -> None:
    hours = OfficeHours(days={"mon": "08:00-16:00", "fri": "08:00-15:00"})
    zone = ZoneInfo("Europe/Stockholm")
    friday_evening = dt.datetime(2026, 3, 6, 17, 0, tzinfo=zone)
    friday_morning = dt.datetime(2026, 3, 6, 9, 0, tzinfo=zone)
    assert hours.answer_due(friday_evening) == dt.datetime(2026, 3, 9, 16, 0, tzinfo=zone)  # Monday's close
    assert hours.answer_due(friday_morning) == dt.datetime(2026, 3, 6, 15, 0, tzinfo=zone)
    assert OfficeHours(days={}).answer_due(friday_morning) is None
