"""Shared fixtures: an operator context and a small register entry."""
from __future__ import annotations

import datetime as dt

import pytest

from services.transform.domain.operators import OperatorContext
from services.transform.domain.schema import ItemRole, ItemType, RecordItem, RegisterEntry


@pytest.fixture
def op_context() -> OperatorContext:
    return OperatorContext(secret_key=b"k" * 32, reference_date=dt.date(2024, 4, 1))


@pytest.fixture
def file_entry() -> RegisterEntry:
    items = (
        RecordItem("宛名番号", ItemType.CODE, ItemRole.LINKING_CODE),
        RecordItem("氏名", ItemType.TEXT, ItemRole.IDENTIFIER),
        RecordItem("住所", ItemType.TEXT, ItemRole.IDENTIFIER),
        RecordItem("生年月日", ItemType.DATE, ItemRole.QUASI_IDENTIFIER),
        RecordItem("性別", ItemType.CODE, ItemRole.QUASI_IDENTIFIER),
        RecordItem("個人番号", ItemType.CODE, ItemRole.IDENTIFICATION_CODE),
        RecordItem("給付額", ItemType.INTEGER, ItemRole.SENSITIVE),
        RecordItem("備考", ItemType.TEXT, ItemRole.OTHER),
    )
    return RegisterEntry("131016", "テストファイル", items)
