"""Provision records are kept three calendar years, then deleted."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.delivery.domain.provision import delete_after, expired


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("provided, then_deleted_after", [
    (_at(2026, 11, 23, 10), _at(2029, 11, 23, 10)),
    (_at(2028, 2, 29, 8), _at(2031, 2, 28, 8)),
])
def test_records_are_kept_three_calendar_years(provided, then_deleted_after):
    assert delete_after(provided) == then_deleted_after


@pytest.mark.parametrize("now, then_expired", [
    (_at(2029, 11, 23, 9, 59), False),
    (_at(2029, 11, 23, 10), True),
    (_at(2031, 1, 1), True),
])
def test_a_record_expires_at_the_end_of_its_retention(now, then_expired):
    assert expired(_at(2026, 11, 23, 10), now) is then_expired
