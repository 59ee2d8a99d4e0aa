from services.review.config import ReviewConfig


def test_defaults():
    config = ReviewConfig.from_env({})
    assert config.fees.base_yen == 21_000 and config.fees.hourly_yen == 3_950
    assert config.screening.capacity_per_municipality == 5 and "research" in config.screening.max_period_days


def test_an_organization_sets_its_limits_and_fees():
    config = ReviewConfig.from_env({"SAKUSEI_REVIEW_MAX_PERIOD_DAYS": "research=400, statistics=200",
                                    "SAKUSEI_REVIEW_CAPACITY": "2", "SAKUSEI_REVIEW_FEE_BASE_YEN": "10000",
                                    "SAKUSEI_REVIEW_PAYMENT_DAYS": "14"})
    assert dict(config.screening.max_period_days) == {"research": 400, "statistics": 200}
    assert config.screening.capacity_per_municipality == 2
    assert config.fees.base_yen == 10_000 and config.fees.payment_days == 14
