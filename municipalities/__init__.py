"""Tenant configuration: one YAML file per municipality in this folder.

A file holds what the assistant must know to speak for a municipality: its names, region,
languages, the relocation-service contact (only contacts published in the sources) and the
hours its hosts are staffed. Adding a municipality = adding a file here and an FAQ folder
``knowledge/faq/<id>/``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

from base.definitions import LANGUAGES
from municipalities import calendar

CONFIG_DIR = Path(__file__).resolve().parent
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Days ``next_opening`` searches, before adding a municipality's own closed days.
LOOKAHEAD_DAYS = 21


class HostContact(BaseModel):
    """How a newcomer reaches the municipality's people; every value must be in the sources."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    service: str
    web: HttpUrl | None = None
    phone: str | None = None
    email: str | None = None
    source: HttpUrl

    @field_validator("web")
    @classmethod
    def _a_service_page(cls, value: HttpUrl | None) -> HttpUrl | None:
        """Where newcomers are sent must be the relocation or citizen service, not a school or press page."""
        path = (value.path or "").casefold() if value is not None else ""
        wrong = [word for word in ("press", "skol", "school", "forskola", "utbildning") if word in path]
        if wrong:
            raise ValueError(f"looks like a {wrong[0]!r} page; point at the relocation or citizen service")
        return value


class OfficeHours(BaseModel):
    """When hosts are staffed, in the municipality's time zone. Set by the municipality.

    ``days`` gives the usual hours of each staffed weekday; Swedish public holidays, midsummer eve,
    Christmas Eve and New Year's Eve are closed and the usual half-days end at noon
    (:mod:`municipalities.calendar`), and ``closed`` lists the municipality's own extra closed days.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "Europe/Stockholm"
    days: dict[str, str]
    #: Local dates the hosts do not work beyond the national holidays (e.g. a "klämdag" or staff day).
    closed: list[dt.date] = Field(default_factory=list)
    #: Whether the Swedish holidays and half-days apply. A service staffed every day of the year
    #: (and the test stack, whose hosts are "there" around the clock) sets it to false.
    public_holidays: bool = True

    @field_validator("days")
    @classmethod
    def _valid_days(cls, value: dict[str, str]) -> dict[str, str]:
        for day, span in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r}; use {', '.join(WEEKDAYS)}")
            start, _, end = span.partition("-")
            opens, closes = dt.time.fromisoformat(start), dt.time.fromisoformat(end)
            if opens >= closes:
                raise ValueError(f"{day}: opening {start} is not before closing {end}")
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The municipality's time zone, where its office and its meetings are."""
        return ZoneInfo(self.timezone)

    def span(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The opening and closing on this local date, in the municipality's time zone; None when closed.

        Holiday-aware: closed on Swedish holidays and the municipality's ``closed`` days, short on half-days.
        """
        usual = self.days.get(WEEKDAYS[day.weekday()])
        if usual is None:
            return None
        start, _, end = usual.partition("-")
        opens, closes = dt.time.fromisoformat(start), dt.time.fromisoformat(end)
        if self.public_holidays:
            hours = calendar.hours_on(day, opens, closes, self.closed)
        else:
            hours = None if day in self.closed else (opens, closes)
        if hours is None:
            return None
        zone = self.zone
        return dt.datetime.combine(day, hours[0], zone), dt.datetime.combine(day, hours[1], zone)

    def is_open(self, at: dt.datetime) -> bool:
        local = at.astimezone(self.zone)
        span = self.span(local.date())
        return span is not None and span[0] <= local < span[1]

    def next_opening(self, at: dt.datetime) -> dt.datetime | None:
        """When hosts are next staffed (now, if open), in the municipality's time zone.

        Looks three weeks ahead (Christmas, New Year and Epiphany with their weekends fit), plus one
        day for each of the municipality's own closed days, so a long local closure is also crossed.
        """
        local = at.astimezone(self.zone)
        for offset in range(LOOKAHEAD_DAYS + len(self.closed)):
            span = self.span(local.date() + dt.timedelta(days=offset))
            if span is not None and local < span[1]:
                return max(span[0], local)
        return None

    def answer_due(self, at: dt.datetime) -> dt.datetime | None:
        """The close of the first office day from ``at``: the promise a ticket made at ``at`` keeps."""
        opening = self.next_opening(at)
        if opening is None:
            return None
        span = self.span(opening.date())
        return span[1] if span is not None else None


class Municipality(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    aliases: list[str] = Field(default_factory=list)
    region: str
    languages: list[str]
    default_language: str = "sv"
    host_contact: HostContact
    office_hours: OfficeHours
    #: Days after a conversation's last message before it and its handoffs are deleted
    #: (`python -m app retention`). A municipality's own decision; 90 unless it sets one.
    retention_days: int = Field(default=90, ge=1, le=3650)

    @field_validator("languages")
    @classmethod
    def _supported(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(LANGUAGES))
        if unknown:
            raise ValueError(f"unsupported language code(s) {unknown}")
        return value

    def name_forms(self) -> set[str]:
        """Every folded spelling that names this municipality in free text."""
        return {fold(form) for form in (self.name, self.id, *self.aliases)}


def fold(text: str) -> str:
    """Case- and accent-insensitive form, so 'Lulea' and 'LULEÅ' both match 'Luleå'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class ConfigError(ValueError):
    """A malformed municipality file; the message names the file and field."""


def load_file(path: Path) -> Municipality:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a mapping of fields")
        municipality = Municipality(**raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        fields = "; ".join(
            f"field '{'.'.join(str(p) for p in err['loc'])}': {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {fields}") from exc
    if municipality.id != path.stem:
        raise ConfigError(f"{path}: field 'id': {municipality.id!r} must equal the file name {path.stem!r}")
    return municipality


@lru_cache(maxsize=1)
def load_all(config_dir: Path | None = None) -> dict[str, Municipality]:
    """All configured municipalities by id, loaded once per process.

    MUNICIPALITIES_DIR lets a deployment keep its tenant files outside the code (and tests use
    office hours that are open around the clock).
    """
    folder = config_dir or Path(os.environ.get("MUNICIPALITIES_DIR") or CONFIG_DIR)
    return {path.stem: load_file(path) for path in sorted(folder.glob("*.yml"))}


def _first_mention(padded: str, forms: set[str]) -> int | None:
    """Where the earliest of these folded names stands as a word in the padded text (or its genitive)."""
    positions = [padded.find(f" {form} ") for form in forms] + [padded.find(f" {form}s ") for form in forms]
    hits = [pos for pos in positions if pos >= 0]
    return min(hits) if hits else None


def _padded_words(text: str) -> str:
    return " " + "".join(ch if ch.isalnum() else " " for ch in fold(text)) + " "


def mentioned_in(text: str, municipalities: dict[str, Municipality] | None = None) -> list[str]:
    """Ids of configured municipalities the text names, in order of appearance."""
    municipalities = municipalities if municipalities is not None else load_all()
    padded = _padded_words(text)
    found: list[tuple[int, str]] = []
    for mid, municipality in municipalities.items():
        position = _first_mention(padded, municipality.name_forms())
        if position is not None:
            found.append((position, mid))
    return [mid for _, mid in sorted(found)]


def renamed(text: str, to: str, municipalities: dict[str, Municipality] | None = None) -> str:
    """The text with every word that names another configured municipality replaced by ``to``'s name.

    "Is it easy to find work in Jokkmokk?" asked again for Skellefteå ("and in Skellefteå?") must
    search Skellefteå's FAQ for work in Skellefteå: the old name, in any case form, would only
    pull the search towards nothing. Multi-word forms ("Bodens kommun") are renamed by their
    first word, which is itself a form.
    """
    municipalities = municipalities if municipalities is not None else load_all()
    target = municipalities[to]
    others = {form for mid, municipality in municipalities.items() if mid != to
              for form in municipality.name_forms() if " " not in form}
    others |= {f"{form}s" for form in others}

    def swap(word: re.Match[str]) -> str:
        return target.name if fold(word.group(0)) in others else word.group(0)

    return re.sub(r"\w+", swap, text)


class NotServed(BaseModel):
    """A Swedish municipality people ask about that this deployment does not serve."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    #: The county, only where a source gives it.
    county: str | None = None
    source: str


@lru_cache(maxsize=1)
def not_served() -> tuple[NotServed, ...]:
    """``reference/not_served.yml``: places to answer "not served here" about (none is a tenant)."""
    raw = yaml.safe_load((CONFIG_DIR / "reference" / "not_served.yml").read_text(encoding="utf-8")) or []
    return tuple(NotServed(**item) for item in raw)


def not_served_in(text: str) -> NotServed | None:
    """The first place the text names that the deployment does not serve (and no tenant shares its name)."""
    padded = _padded_words(text)
    tenants = {form for municipality in load_all().values() for form in municipality.name_forms()}
    found = []
    for place in not_served():
        position = _first_mention(padded, {fold(place.name)})
        if position is not None and fold(place.name) not in tenants:
            found.append((position, place))
    return min(found, key=lambda item: item[0])[1] if found else None
