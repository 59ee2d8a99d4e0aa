"""The register of created information (Art. 12): what a dataset is, never whom it is about."""
from __future__ import annotations

from services.common.pb.sakusei.v1 import events_pb2


def processing_summary(created: events_pb2.DatasetCreated) -> dict[str, str]:
    """Counts, items and sources, and per source file what transform's verification showed (rows,
    smallest class k, re-identification risks, each Art. 11 measure's outcome). Never
    processing-method information: the event carries none, and the report objects are not named."""
    summary = {
        "number_of_persons": str(created.number_of_persons),
        "number_of_items": str(len(created.items)),
        "items": ", ".join(created.items),
        "number_of_source_files": str(len(created.sources)),
        "municipalities": ", ".join(sorted({s.municipality_code for s in created.sources})),
    }
    for index, source in enumerate(created.summary.sources, start=1):
        prefix = f"source_{index}"
        summary[f"{prefix}.municipality_code"] = source.municipality_code
        summary[f"{prefix}.rows"] = str(source.rows)
        summary[f"{prefix}.k"] = str(source.k)
        summary[f"{prefix}.risk_highest"] = f"{source.risk_highest:.6f}"
        summary[f"{prefix}.risk_average"] = f"{source.risk_average:.6f}"
        summary[f"{prefix}.measures"] = ", ".join(f"{m.measure}:{m.status}" for m in source.measures)
    return summary


def municipalities_of(created: events_pb2.DatasetCreated) -> set[str]:
    return {s.municipality_code for s in created.sources}
