"""The analytics page's pieces: CSV cells a spreadsheet will not run, labels, and charts that escape."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

from console import charts
from console.analytics import label, to_csv
from handoff.texts import host_texts
from insight.figures import Series


def test_csv_has_the_columns_and_quotes_what_a_spreadsheet_would_run_as_a_formula() -> None:
    series = Series("topics", ("label", "answers"), [("housing", "3"), ("=HYPERLINK(\"http://x\")", "1"), ("-1", "2")])
    rows = list(csv.reader(io.StringIO(to_csv(series))))
    assert rows == [["label", "answers"], ["housing", "3"], ["'=HYPERLINK(\"http://x\")", "1"], ["'-1", "2"]]


def test_labels_come_from_the_hosts_catalog_where_there_is_one() -> None:
    sv = host_texts("sv")
    assert label(sv, "topics", "housing") == sv["topic_housing"]
    assert label(sv, "outcomes", "handed") == "lämnade till en värd"
    assert label(sv, "languages", "pl") == "pl"  # a language code stays a code
    assert label(sv, "language_match", "uk") == "ukrainska"  # …except where the figure is about the language
    assert label(sv, "topics", "nonexistent") == "nonexistent"


def test_charts_are_well_formed_svg_with_one_bar_per_row_and_escaped_labels() -> None:
    bars = [("<script>alert(1)</script>", 4.0), ("web & more", 2.0), ("none", 0.0)]
    for draw in (charts.horizontal, charts.columns):
        svg = draw("Title <b>", bars)
        root = ET.fromstring(svg)  # parses: every label was escaped
        assert "<script>" not in svg and root.find("{http://www.w3.org/2000/svg}title").text == "Title <b>"
        widths = [float(r.get("width") if draw is charts.horizontal else r.get("height"))
                  for r in root.iter("{http://www.w3.org/2000/svg}rect")]
        assert len(widths) == 3 and widths[0] == 2 * widths[1] and widths[2] == 0
    assert ET.fromstring(charts.horizontal("empty", [])) is not None
