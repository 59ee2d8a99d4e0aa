"""Review's read models from other services' events, replayed in any order."""
import pytest

from services.common.bus import new_envelope
from services.common.db import make_engine
from services.common.pb.sakusei.v1 import common_pb2, events_pb2, intake_pb2
from services.review import handlers, migrations, store


@pytest.fixture
def engine(tmp_path):
    made = make_engine(tmp_path, "review")
    migrations.upgrade(made)
    yield made
    made.dispose()


def _request(request_id: str, state=intake_pb2.DATA_REQUEST_STATE_OPEN) -> intake_pb2.DataRequest:
    return intake_pb2.DataRequest(request_id=request_id, municipality_code="131016", state=state)


def _events():
    entry = intake_pb2.FileRegisterEntry(file_id="f1", municipality_code="131016", file_name="国保", purpose="管理",
                                         number_of_persons=400, proposals_invited=True, items=[
                                             common_pb2.RecordItem(name="性別", type=common_pb2.ITEM_TYPE_CODE,
                                                                   role=common_pb2.ITEM_ROLE_QUASI_IDENTIFIER)])
    declined = _request("r3", intake_pb2.DATA_REQUEST_STATE_DECLINED)
    payloads = [events_pb2.FileRegistered(entry=entry),
                events_pb2.ExtractReceived(request_id="r1", municipality_code="131016"),
                events_pb2.DataRequestIssued(request=_request("r1")),
                events_pb2.DataRequestIssued(request=_request("r2")),
                events_pb2.DataRequestIssued(request=_request("r3")),
                events_pb2.DataRequestAnswered(request=declined),
                events_pb2.DatasetCreated(dataset_id="d1", contract_id="c1", number_of_persons=1200)]
    return [new_envelope(p, key="k", producer="test") for p in payloads]


def test_read_models_from_events_replayed_twice(engine):
    for envelope in _events() + _events():
        handlers.on_event(engine, envelope)
    with engine.connect() as conn:
        entry = store.files_by_id(conn, ["f1"])["f1"]
        assert (entry.file_name, entry.items[0].role, entry.number_of_persons) == ("国保", "QUASI_IDENTIFIER", 400)
        assert store.open_request_counts(conn, ["131016"]) == {"131016": 1}  # r1 answered, r3 declined
        assert store.dataset_exists(conn, "d1")
