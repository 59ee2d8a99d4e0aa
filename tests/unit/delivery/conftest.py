"""Fixtures of delivery's unit tests."""
from __future__ import annotations

import pyarrow as pa
import pytest

from tests.unit.delivery.synthetic import synthetic


@pytest.fixture(scope="session")
def dataset() -> pa.Table:
    return synthetic(2000)
