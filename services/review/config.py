"""What an organization sets for its review: screening limits and the fee schedule, read from the
environment when the service starts (never at import).

| variable | meaning | default |
|---|---|---|
| `SAKUSEI_REVIEW_MAX_PERIOD_DAYS` | longest period per purpose category, `category=days,…` | see below |
| `SAKUSEI_REVIEW_CAPACITY` | open data requests a municipality takes at once | 5 |
| `SAKUSEI_REVIEW_FEE_BASE_YEN` | fee base amount | 21000 |
| `SAKUSEI_REVIEW_FEE_HOURLY_YEN` | fee per started hour of processing work | 3950 |
| `SAKUSEI_REVIEW_PAYMENT_DAYS` | days from the approval notice to the payment and application deadline | 30 |
| `SAKUSEI_REVIEW_ORGANIZATION` | the issuer named on notices | 作成組織 |

The default periods: research and public_service 1830 days, statistics and product_development 1098.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from services.review.domain.fees import FeeSchedule
from services.review.domain.screening import ScreeningPolicy


@dataclass(frozen=True)
class ReviewConfig:
    screening: ScreeningPolicy = field(default_factory=ScreeningPolicy)
    fees: FeeSchedule = field(default_factory=FeeSchedule)
    organization: str = "作成組織"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "ReviewConfig":
        env = dict(os.environ if env is None else env)
        default_screening, default_fees = ScreeningPolicy(), FeeSchedule()
        periods = _periods(env.get("SAKUSEI_REVIEW_MAX_PERIOD_DAYS", ""))
        screening = ScreeningPolicy(
            max_period_days=periods or default_screening.max_period_days,
            capacity_per_municipality=int(env.get("SAKUSEI_REVIEW_CAPACITY",
                                                  default_screening.capacity_per_municipality)))
        fees = FeeSchedule(base_yen=int(env.get("SAKUSEI_REVIEW_FEE_BASE_YEN", default_fees.base_yen)),
                           hourly_yen=int(env.get("SAKUSEI_REVIEW_FEE_HOURLY_YEN", default_fees.hourly_yen)),
                           payment_days=int(env.get("SAKUSEI_REVIEW_PAYMENT_DAYS", default_fees.payment_days)))
        return cls(screening, fees, env.get("SAKUSEI_REVIEW_ORGANIZATION", "作成組織"))


def _periods(text: str) -> dict[str, int]:
    """`research=1830,statistics=1098` → {"research": 1830, "statistics": 1098}."""
    pairs = (part.split("=", 1) for part in text.split(",") if part.strip())
    return {name.strip(): int(days) for name, days in pairs}
