"""The processing report: what was verified, as JSON and as a self-contained HTML page.

It holds counts, column names and operator names only: no personal value, and none of the
processing-method information (params, thresholds, keys, seeds), which lives in `MethodInformation`.
"""
from __future__ import annotations

import html
from dataclasses import asdict
from typing import Any

from .measures import VerificationResult
from .schema import RegisterEntry

BUCKETS = ((1, 1), (2, 2), (3, 4), (5, 9), (10, 19), (20, 49), (50, 99), (100, None))


def build_report(result: VerificationResult, entry: RegisterEntry, release: dict | None = None) -> dict[str, Any]:
    """``release`` is measure 5's search outcome when the contract set a k target; of it only the
    loss and the counts are reported, the chosen generalization being processing-method information."""
    return {
        "municipality_code": entry.municipality_code,
        "file_name": entry.file_name,
        "rows": result.rows,
        "passed": result.passed,
        "measures": [asdict(m) | {"evidence": list(m.evidence)} for m in result.measures],
        "k": result.k,
        "l": dict(result.l),
        "suppressed_rows_pct": round(result.suppressed_rows_pct, 4),
        "risk_highest": round(result.risk_highest, 6),
        "risk_average": round(result.risk_average, 6),
        "codes_in_extract": dict(sorted(result.codes_in_extract.items())),
        "codes_in_output": dict(sorted(result.codes_in_output.items())),
        "records_by_class_size": _buckets(result.class_sizes),
        "measure_5": {key: (release or {})[key] for key in ("suppressed", "granularity", "classes") if key in (release or {})},
        "columns": [asdict(c) | {"operators": list(c.operators)} for c in result.columns],
    }


def _buckets(class_sizes: dict[int, int]) -> dict[str, int]:
    """Number of records in classes whose size falls in each bucket."""
    out = {}
    for low, high in BUCKETS:
        label = f"{low}+" if high is None else (str(low) if low == high else f"{low}-{high}")
        out[label] = sum(size * n for size, n in class_sizes.items() if size >= low and (high is None or size <= high))
    return out


def render_html(report: dict[str, Any]) -> str:
    """A page a person can read: no script, no external asset."""
    e = html.escape
    measures = "".join(
        f"<tr><td>{m['measure']}</td><td>{e(m['title'])}</td><td class='{e(m['status'])}'>{e(m['status'])}</td>"
        f"<td>{'<br>'.join(e(x) for x in m['evidence'])}</td></tr>" for m in report["measures"])
    columns = "".join(
        f"<tr><td>{e(c['name'])}</td><td>{e(c['arrow_type'])}</td><td>{e(c['role'])}</td>"
        f"<td>{e(', '.join(c['operators']) or '-')}</td><td>{c['nulls']}</td><td>{c['suppressed']}</td></tr>"
        for c in report["columns"])
    overall = "pass" if report["passed"] else "fail"
    return f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>加工結果報告 {e(report['file_name'])}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:4px 8px}}
.pass{{color:#060}}.fail{{color:#b00;font-weight:bold}}.info{{color:#555}}</style></head><body>
<h1>{e(report['file_name'])} ({e(report['municipality_code'])})</h1>
<p>rows: {report['rows']} — overall: <span class="{overall}">{overall}</span></p>
<p>k = {report['k']}{''.join(f", l({e(item)}) = {l}" for item, l in report['l'].items())}, suppressed rows = {report['suppressed_rows_pct']}%,
re-identification risk highest = {report['risk_highest']}, average = {report['risk_average']}</p>
<h2>Measures</h2><table><tr><th>#</th><th>measure</th><th>status</th><th>evidence</th></tr>{measures}</table>
<h2>Records by equivalence class size</h2>{bar_chart(report['records_by_class_size'], 'records by class size')}
<h2>Columns</h2><table><tr><th>column</th><th>type</th><th>role</th><th>operators</th><th>nulls</th>
<th>suppressed</th></tr>{columns}</table>
</body></html>
"""


def bar_chart(buckets: dict[str, int], caption: str, width: int = 480, height: int = 200) -> str:
    """An inline SVG bar per bucket, its count above it."""
    if not buckets:
        return "<p>none</p>"
    top = max(buckets.values(), default=0) or 1
    bar = width // len(buckets)
    bars = []
    for i, (label, records) in enumerate(buckets.items()):
        h = round((height - 40) * records / top)
        x, y = i * bar + 4, height - 20 - h
        middle = x + (bar - 8) // 2
        bars.append(f'<rect x="{x}" y="{y}" width="{bar - 8}" height="{h}" fill="#4a7"><title>{records}</title></rect>'
                    f'<text x="{middle}" y="{height - 5}" font-size="11" text-anchor="middle">{html.escape(label)}</text>'
                    f'<text x="{middle}" y="{max(y - 3, 10)}" font-size="10" text-anchor="middle">{records}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="{html.escape(caption)}">{"".join(bars)}</svg>')
