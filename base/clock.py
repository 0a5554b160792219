"""The one clock of the product: timezone-aware UTC, so stored and compared moments never mix zones."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
