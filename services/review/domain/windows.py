"""Recruitment windows (Art. 3): at least one a fiscal year, each announced in advance and open
for at least 30 days. Proposals for new information are accepted only while one is open."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from services.common.errors import FailedPrecondition, InvalidArgument

JST = timezone(timedelta(hours=9), "JST")
MIN_OPEN = timedelta(days=30)


@dataclass(frozen=True)
class Window:
    window_id: str
    subject: str
    announced_at: datetime
    opens_at: datetime
    closes_at: datetime

    @property
    def fiscal_year(self) -> int:
        return fiscal_year(self.opens_at)


def fiscal_year(at: datetime) -> int:
    """The Japanese fiscal year (April to March) an instant falls in, named by its first year."""
    local = at.astimezone(JST)
    return local.year if local.month >= 4 else local.year - 1


def validate_window(window: Window) -> None:
    if not window.subject.strip():
        raise InvalidArgument("subject", "say what the recruitment is about; it is announced in advance")
    if window.announced_at > window.opens_at:
        raise InvalidArgument("announced_at", "a window opens only after it has been announced (Art. 3(2))")
    if window.closes_at - window.opens_at < MIN_OPEN:
        raise InvalidArgument("closes_at", "a window stays open at least 30 days (Art. 3(1))")


def open_window(windows: list[Window], now: datetime) -> Window:
    """The window accepting proposals now; FAILED_PRECONDITION when there is none."""
    for window in sorted(windows, key=lambda w: w.opens_at):
        if window.announced_at <= now and window.opens_at <= now < window.closes_at:
            return window
    raise FailedPrecondition("no recruitment window is open now; proposals are accepted only while one is")


def years_without_window(windows: list[Window], first: int, last: int) -> list[int]:
    covered = {w.fiscal_year for w in windows}
    return [year for year in range(first, last + 1) if year not in covered]


def warnings_for(years: list[int]) -> list[str]:
    return [f"fiscal year {year} has no recruitment window; Art. 3 asks for at least one each year"
            for year in years]
