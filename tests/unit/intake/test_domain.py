from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import FailedPrecondition, InvalidArgument, PermissionDenied, ResourceExhausted
from services.intake.domain import (Item, PushHeader, RegisterEntry, answer_request, check_push_allowed,
                                    deadline_for, request_id_for, validate_entry, validate_header)

GOOD = RegisterEntry("131016", "国民健康保険被保険者ファイル", "資格管理",
                     (Item("氏名", "TEXT", "IDENTIFIER"), Item("性別", "CODE", "QUASI_IDENTIFIER")), 5000, True)


def test_a_complete_entry_is_valid():
    validate_entry(GOOD)


@pytest.mark.parametrize("change, field", [
    ({"municipality_code": "131017"}, "municipality_code"),
    ({"file_name": " "}, "file_name"),
    ({"items": ()}, "items"),
    ({"items": (Item("", "TEXT", "OTHER"),)}, "items[0].name"),
    ({"items": (Item("a", "TEXT", "UNSPECIFIED"),)}, "items[0].role"),
    ({"items": (Item("a", "UNSPECIFIED", "OTHER"),)}, "items[0].type"),
    ({"items": (Item("a", "TEXT", "OTHER"), Item("a", "TEXT", "OTHER"))}, "items[0].name"),
    ({"number_of_persons": -1}, "number_of_persons"),
])
def test_a_bad_entry_names_its_field(change, field):
    entry = RegisterEntry(**{**GOOD.__dict__, **change})
    with pytest.raises(InvalidArgument) as caught:
        validate_entry(entry)
    assert caught.value.field == field


def test_request_ids_are_stable_per_contract_municipality_and_file():
    assert request_id_for("c", "131016", "f") == request_id_for("c", "131016", "f")
    assert request_id_for("c", "131016", "f") != request_id_for("c", "011002", "f")


HEADER = PushHeader("r", "cp932", 10, "a" * 64, 100)


@pytest.mark.parametrize("change, error", [
    ({"request_id": ""}, InvalidArgument),
    ({"encoding": "latin-1"}, InvalidArgument),
    ({"row_count": -1}, InvalidArgument),
    ({"sha256": "XYZ"}, InvalidArgument),
    ({"size_bytes": 0}, InvalidArgument),
    ({"size_bytes": 10_001}, ResourceExhausted),
])
def test_bad_push_headers_are_refused(change, error):
    with pytest.raises(error):
        validate_header(PushHeader(**{**HEADER.__dict__, **change}), max_bytes=10_000)


def test_a_municipality_pushes_only_for_its_own_open_requests():
    check_push_allowed("131016", "OPEN", "131016")
    with pytest.raises(PermissionDenied):
        check_push_allowed("131016", "OPEN", "011002")
    with pytest.raises(FailedPrecondition):
        check_push_allowed("131016", "FULFILLED", "131016")


@pytest.mark.parametrize("state, answer, reason, then", [
    ("OPEN", "ACKNOWLEDGE", "", "ACKNOWLEDGED"),
    ("OPEN", "DECLINE", "ファイル改製中", "DECLINED"),
])
def test_an_open_request_is_answered(state, answer, reason, then):
    assert answer_request(state, answer, reason) == then


@pytest.mark.parametrize("state, answer, reason, error", [
    ("OPEN", "DECLINE", "  ", InvalidArgument),
    ("OPEN", "UNSPECIFIED", "", InvalidArgument),
    ("ACKNOWLEDGED", "DECLINE", "late", FailedPrecondition),
    ("DECLINED", "ACKNOWLEDGE", "", FailedPrecondition),
    ("FULFILLED", "ACKNOWLEDGE", "", FailedPrecondition),
])
def test_a_bad_answer_is_refused(state, answer, reason, error):
    with pytest.raises(error):
        answer_request(state, answer, reason)


def test_pushes_are_taken_while_awaiting_an_extract_and_before_the_deadline():
    issued = datetime(2026, 4, 1, tzinfo=timezone.utc)
    deadline = deadline_for(issued, 30)
    check_push_allowed("131016", "ACKNOWLEDGED", "131016", deadline, issued + timedelta(days=30))
    for state in ("DECLINED", "FULFILLED"):
        with pytest.raises(FailedPrecondition):
            check_push_allowed("131016", state, "131016", deadline, issued)
    with pytest.raises(FailedPrecondition):
        check_push_allowed("131016", "OPEN", "131016", deadline, issued + timedelta(days=30, seconds=1))
