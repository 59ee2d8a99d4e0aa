"""The register entry and processing summary name counts, items and sources, never persons or methods."""
from __future__ import annotations

from services.common.pb.sakusei.v1 import common_pb2, events_pb2
from services.delivery.domain.registry import municipalities_of, processing_summary


def _created(with_summary: bool) -> events_pb2.DatasetCreated:
    created = events_pb2.DatasetCreated(
        dataset_id="d1", contract_id="k1", number_of_persons=300, items=["年齢層", "性別"],
        artifact=common_pb2.ArtifactRef(bucket="sakusei-datasets", key="dataset/d1.parquet"),
        sources=[events_pb2.DatasetSource(municipality_code="131016", file_id="f1", number_of_persons=100),
                 events_pb2.DatasetSource(municipality_code="011002", file_id="f2", number_of_persons=200)])
    if with_summary:
        created.summary.report_json.CopyFrom(common_pb2.ArtifactRef(bucket="sakusei-documents", key="report/x.json"))
        created.summary.sources.add(municipality_code="131016", rows=100, k=5, risk_highest=0.2, risk_average=0.05,
                                    measures=[events_pb2.MeasureOutcome(measure=1, status="pass")])
    return created


def test_the_summary_holds_counts_items_and_sources():
    summary = processing_summary(_created(False))
    assert summary["number_of_persons"] == "300" and summary["items"] == "年齢層, 性別"
    assert summary["municipalities"] == "011002, 131016" and "source_1.k" not in summary
    assert municipalities_of(_created(False)) == {"131016", "011002"}


def test_what_verification_showed_is_carried_but_not_where_the_reports_are():
    summary = processing_summary(_created(True))
    assert summary["source_1.k"] == "5" and summary["source_1.measures"] == "1:pass"
    assert not any("report" in key or "sakusei-documents" in value for key, value in summary.items())
