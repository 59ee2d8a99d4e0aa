"""The anonymization report: guarantees achieved, utility and risk of the chosen transformation."""
from __future__ import annotations

import html

from ..report import bar_chart
from .hierarchy import Hierarchy
from .loss import granularity
from .privacy import PrivacyModel
from .risk import class_size_distribution, prosecutor_risk
from .search import SearchResult


def build_report(
    result: SearchResult, hierarchies: dict[str, Hierarchy], models: list[PrivacyModel], suppression_limit: float
) -> dict:
    """JSON-ready summary of the release; holds counts and measures only, never data values."""
    best = result.best
    kept = ~best.failing
    sizes = best.summary.sizes[kept]
    rows = best.table.rows
    measure = granularity(dict(zip(best.table.quasi_identifiers, best.column_totals.tolist())), rows, hierarchies)
    report = {
        "rows": rows,
        "suppressed": best.suppressed,
        "suppression_limit": suppression_limit,
        "models": [model.describe() for model in models],
        "transformation": dict(zip(best.table.quasi_identifiers, best.node)),
        "utility": {"measure": result.utility, "loss": best.loss},
        "granularity": measure.value,
        "granularity_normalized": measure.normalized,
        "column_loss": measure.column_loss,
        "classes": int(len(sizes)),
        "class_sizes": class_size_distribution(sizes),
        "prosecutor_risk": prosecutor_risk(sizes),
        "search": {"nodes": result.nodes, "evaluated": result.evaluated},
    }
    for model in models:
        report[model.parameter] = _weakest(report.get(model.parameter), model.achieved(best.summary, kept), model.at_least)
    return report


def _weakest(previous: float | None, value: float | None, at_least: bool) -> float | None:
    """Several models on one parameter (e.g. l on two columns) report the weakest guarantee."""
    if previous is None or value is None:
        return value if previous is None else previous
    return min(previous, value) if at_least else max(previous, value)


def render_report_html(report: dict) -> str:
    """The report as a page a person can read (no script, no external asset): guarantees, utility,
    risk and the class sizes as a chart."""
    e = html.escape
    models = ", ".join(
        f"{e(m['model'])}" + "".join(f" {e(str(k))}={e(str(v))}" for k, v in m.items() if k != "model")
        for m in report["models"])
    achieved = "".join(f"<tr><th>{e(key)}</th><td>{report[key]}</td></tr>" for key in ("k", "l", "t") if key in report)
    columns = "".join(
        f"<tr><td>{e(q)}</td><td>{report['transformation'][q]}</td><td>{loss:.4f}</td></tr>"
        for q, loss in report["column_loss"].items())
    risk = report["prosecutor_risk"]
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>anonymization report</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:4px 8px;text-align:left}}</style>
</head><body>
<h1>Anonymization report</h1>
<p>models: {models}; suppression limit {report['suppression_limit']:.4%}; utility measure {e(report['utility']['measure'])}</p>
<table>{achieved}
<tr><th>rows</th><td>{report['rows']}</td></tr>
<tr><th>suppressed rows</th><td>{report['suppressed']}</td></tr>
<tr><th>granularity</th><td>{report['granularity']:.6f}</td></tr>
<tr><th>classes</th><td>{report['classes']}</td></tr>
<tr><th>prosecutor risk, highest / average</th><td>{risk['highest']:.6f} / {risk['average']:.6f}</td></tr></table>
<h2>Columns</h2><table><tr><th>quasi-identifier</th><th>level</th><th>loss</th></tr>{columns}</table>
<h2>Classes by size</h2>{bar_chart(report['class_sizes'], 'classes by size')}
</body></html>
"""
