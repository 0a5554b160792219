"""The console's texts and how it shows what the person pressed."""

from __future__ import annotations

from handoff.texts import host_texts


def test_console_catalogs_are_complete_in_swedish_and_english() -> None:
    assert set(host_texts("sv")) == set(host_texts("en"))


def test_counted_texts_take_the_plural_form_of_their_language() -> None:
    from console.pages import counted

    sv, en = host_texts("sv"), host_texts("en")
    assert [counted(sv, "sv", "gaps_in_municipalities", n) for n in (1, 2)] == ["1 kommun", "2 kommuner"]
    assert [counted(en, "en", "analytics_of_chats", n) for n in (1, 0)] == ["of 1 claimed chat", "of 0 claimed chats"]


def test_a_queue_page_redraws_itself_when_an_offer_first_window_closes_or_a_minute_passes() -> None:
    """Nothing announces these two changes over the websocket: the clock makes them."""
    import datetime as dt

    from console.pages import QUEUE_REFRESH, refresh_in
    from handoff.desk import Offer

    moment = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
    closing = Offer((), until=moment + dt.timedelta(seconds=19.2))
    anyones = Offer(())
    assert refresh_in({1: closing, 2: anyones}, moment) == 20
    assert refresh_in({2: anyones}, moment) == QUEUE_REFRESH  # the minutes waiting move on
    late = Offer((), until=moment - dt.timedelta(seconds=1))
    assert refresh_in({1: late}, moment) == 1  # never a reload loop at zero
    assert refresh_in({}, moment) is None  # nothing waiting, nothing to redraw


def test_every_refusal_the_desk_can_give_has_its_text_in_both_console_languages() -> None:
    from handoff.desk import REFUSALS

    assert not REFUSALS - set(host_texts("sv")) and not REFUSALS - set(host_texts("en"))
