"""A state directory made by an earlier version gains the columns added since."""
from sqlalchemy import Column, MetaData, String, Table, create_engine, inspect

from services.intake import store


def test_an_older_requests_table_gains_the_new_columns_and_keeps_its_rows():
    engine = create_engine("sqlite://", future=True)
    old = Table("data_requests", MetaData(), Column("request_id", String(36), primary_key=True),
                *(Column(name, String) for name in ("contract_id", "municipality_code", "file_id", "business_id",
                                                   "purpose", "items", "state", "issued_at", "extract_id")))
    old.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(old.insert().values(request_id="r", items="[]", state="OPEN"))
    store.upgrade(engine)
    store.upgrade(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("data_requests")}
    assert {"degrees", "management_measures", "deadline", "decline_reason", "answered_at"} <= columns
    with engine.connect() as conn:
        row = store.get_request(conn, "r")
    assert (row.degrees, row.management_measures, row.decline_reason) == ("{}", "", "")
    assert {"uploads", "receipt_records"} <= set(inspect(engine).get_table_names())
