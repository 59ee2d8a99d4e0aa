"""An extract stored encrypted in MinIO, split into blocks and read back by range through s3fs."""
from __future__ import annotations

import uuid

import pyarrow as pa

from services.cli import sample
from services.common.artifacts import EXTRACTS, object_key
from services.common.artifacts.minio_store import MinioStore
from services.transform.blocks import plan


def test_the_blocks_of_a_stored_extract_hold_every_record_once(infra, tmp_path):
    path = tmp_path / "extract.csv"
    sample.write_extract(path, 20_000, seed=3)
    store = MinioStore(infra.s3)
    key = object_key("extract", uuid.uuid4().hex, "blocks", suffix=".csv")
    store.put_file(EXTRACTS, key, path)
    try:
        url, options = store.dask_location(EXTRACTS, key)
        blocks = plan(url, options, "utf-8", block_bytes=256 << 10)
        table = pa.concat_tables(block.read() for block in blocks)
    finally:
        store.delete(EXTRACTS, key)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(blocks) >= 5 and table.num_rows == 20_000
    assert table.column_names == lines[0].split(",")
    assert table.column(0).to_pylist() == [line.split(",", 1)[0] for line in lines[1:]]
