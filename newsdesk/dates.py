"""Publication dates: the one shape a date is shown in, and the day it falls on as the store filters by it."""

from __future__ import annotations

import calendar
import re
import time

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?=$|[T ])")


def published_date(value: str) -> str:
    """The one shape a publication date has in passages, citations and every front end: `2024-04-05`.

    Articles keep the timestamp they were published with (`2024-04-05T07:00:00+00:00`); what is shown and returned
    is its date as written there. A date that is not ISO-shaped is returned as it is.
    """
    value = value.strip()
    return value[:10] if _ISO_DATE.match(value) else value


def day_ts(published_at: str) -> int:
    """Epoch seconds (UTC) at the start of the publication day, as the store's `date_ts` metadata and the keyword
    index's date filters use it (0 when unknown)."""
    try:
        return calendar.timegm(time.strptime(published_at[:10], "%Y-%m-%d"))
    except ValueError:
        return 0
