from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import InvalidArgument
from services.review.domain.fees import FeeSchedule, quote

NOTICED = datetime(2026, 6, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("minutes, outsourcing, hours, total", [
    (0, 0, 0, 21_000),
    (1, 0, 1, 24_950),       # a started hour counts whole
    (60, 0, 1, 24_950),
    (61, 0, 2, 28_900),
    (600, 150_000, 10, 210_500),
])
def test_the_default_schedule(minutes, outsourcing, hours, total):
    fee = quote(FeeSchedule(), minutes, outsourcing, NOTICED)
    assert (fee.work_hours, fee.total_yen) == (hours, total)
    assert fee.payment_deadline == NOTICED + timedelta(days=30)


def test_an_organization_sets_its_own_schedule():
    fee = quote(FeeSchedule(base_yen=12_600, hourly_yen=1_000, payment_days=14), 90, 0, NOTICED)
    assert fee.total_yen == 14_600 and fee.payment_deadline == NOTICED + timedelta(days=14)


@pytest.mark.parametrize("minutes, outsourcing, field", [(-1, 0, "estimated_work_minutes"),
                                                         (0, -5, "outsourcing_yen")])
def test_negative_amounts_are_refused(minutes, outsourcing, field):
    with pytest.raises(InvalidArgument) as caught:
        quote(FeeSchedule(), minutes, outsourcing, NOTICED)
    assert caught.value.field == field
