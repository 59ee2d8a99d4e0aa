from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import FailedPrecondition, InvalidArgument
from services.review.domain.windows import (Window, fiscal_year, open_window, validate_window, warnings_for,
                                            years_without_window)

UTC = timezone.utc
APRIL = datetime(2026, 4, 1, tzinfo=UTC)


def _window(announced, opens, closes, subject="提案募集", window_id="w") -> Window:
    return Window(window_id, subject, announced, opens, closes)


@pytest.mark.parametrize("at, year", [
    (datetime(2026, 3, 31, 14, 59, tzinfo=UTC), 2025),  # 23:59 on 31 March in Japan
    (datetime(2026, 3, 31, 15, 0, tzinfo=UTC), 2026),   # 00:00 on 1 April in Japan
    (datetime(2027, 1, 15, tzinfo=UTC), 2026),
    (datetime(2026, 12, 31, tzinfo=UTC), 2026),
])
def test_fiscal_year_runs_april_to_march_in_japan(at, year):
    assert fiscal_year(at) == year


@pytest.mark.parametrize("announced, opens, closes, field", [
    (APRIL, APRIL, APRIL + timedelta(days=30), None),
    (APRIL - timedelta(days=7), APRIL, APRIL + timedelta(days=60), None),
    (APRIL + timedelta(seconds=1), APRIL, APRIL + timedelta(days=30), "announced_at"),
    (APRIL, APRIL, APRIL + timedelta(days=29, hours=23), "closes_at"),
    (APRIL, APRIL, APRIL - timedelta(days=1), "closes_at"),
])
def test_a_window_is_announced_first_and_open_at_least_30_days(announced, opens, closes, field):
    window = _window(announced, opens, closes)
    if field is None:
        validate_window(window)
    else:
        with pytest.raises(InvalidArgument) as caught:
            validate_window(window)
        assert caught.value.field == field


def test_a_window_says_what_it_is_about():
    with pytest.raises(InvalidArgument) as caught:
        validate_window(_window(APRIL, APRIL, APRIL + timedelta(days=30), subject=" "))
    assert caught.value.field == "subject"


WINDOW = _window(APRIL - timedelta(days=3), APRIL, APRIL + timedelta(days=30))


@pytest.mark.parametrize("now, accepted", [
    (APRIL - timedelta(seconds=1), False),
    (APRIL, True),
    (APRIL + timedelta(days=29, hours=23), True),
    (APRIL + timedelta(days=30), False),
])
def test_proposals_are_accepted_only_while_a_window_is_open(now, accepted):
    if accepted:
        assert open_window([WINDOW], now) is WINDOW
    else:
        with pytest.raises(FailedPrecondition):
            open_window([WINDOW], now)


def test_a_window_not_yet_announced_accepts_nothing():
    unannounced = _window(APRIL + timedelta(days=1), APRIL + timedelta(days=1), APRIL + timedelta(days=40))
    with pytest.raises(FailedPrecondition):
        open_window([unannounced], APRIL + timedelta(hours=1))


def test_years_without_a_window_are_warned_about():
    missing = years_without_window([WINDOW], 2025, 2027)
    assert missing == [2025, 2027]
    assert len(warnings_for(missing)) == 2 and "2027" in warnings_for(missing)[1]
