"""`sakusei anonymize`: k-anonymity (with optional l-diversity / t-closeness) of one CSV or Parquet file."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from services.transform.anonymity_job import AnonymizationJob, file_format, run
from services.transform.domain.anonymity import (
    DEFAULT_UTILITY,
    UTILITY_MEASURES,
    AnonymityError,
    DistinctLDiversity,
    EntropyLDiversity,
    EqualDistanceTCloseness,
    KAnonymity,
    check_suppression_limit,
    load_hierarchies,
)
from services.transform.domain.anonymity.report import render_report_html

EXIT_USAGE = 2
HTML = {".html", ".htm"}
SENSITIVE_OPTIONS = {
    "l_diversity": ("--l-diversity", DistinctLDiversity),
    "entropy_l_diversity": ("--entropy-l-diversity", EntropyLDiversity),
    "t_closeness": ("--t-closeness", EqualDistanceTCloseness),
}


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Adds the `anonymize` subcommand; its handler is stored as `args.handler`."""
    parser = subparsers.add_parser(
        "anonymize",
        help="generalize and suppress quasi-identifiers until every class meets the privacy models",
        description="Optimal global recoding with record suppression (ARX's loss and granularity).",
    )
    parser.add_argument("input", type=Path, help="input .csv or .parquet file")
    parser.add_argument("--hierarchies", type=Path, required=True, help="directory with one *hierarchy_<column>.csv per QI")
    parser.add_argument("--qi", required=True, help="comma-separated quasi-identifier columns")
    parser.add_argument("--k", type=int, required=True, help="smallest class size")
    for dest, (flag, model) in SENSITIVE_OPTIONS.items():
        parser.add_argument(flag, dest=dest, action="append", default=[], metavar="COLUMN:VALUE", help=model.__doc__)
    parser.add_argument("--suppression-limit", type=float, default=1.0, help="largest share of rows to suppress (0..1)")
    parser.add_argument("--utility", choices=sorted(UTILITY_MEASURES), default=DEFAULT_UTILITY,
                        help="what the search minimizes: ARX's default loss (geometric mean per column, "
                        "suppressing fewer rows) or one minus granularity (arithmetic mean)")
    parser.add_argument("--sep", default=";", help="CSV separator of the input, the output and the hierarchies")
    parser.add_argument("--out", type=Path, required=True, help="output .csv file or .parquet dataset")
    parser.add_argument("--report", type=Path, help="where to write the report: JSON, or a page with charts for .html")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler (default: in-process)")
    parser.set_defaults(handler=anonymize)
    return parser


def _sensitive_models(args: argparse.Namespace) -> list:
    models = []
    for dest, (flag, model) in SENSITIVE_OPTIONS.items():
        for spec in getattr(args, dest):
            column, _, value = spec.rpartition(":")
            try:
                number = float(value)
            except ValueError:
                raise AnonymityError(f"argument '{flag}' must look like COLUMN:VALUE") from None
            if not column:
                raise AnonymityError(f"argument '{flag}' must name a column")
            models.append(model(column, number))
    return models


def build_job(args: argparse.Namespace) -> AnonymizationJob:
    """Validates the arguments into a job; every problem names the argument or column."""
    quasi_identifiers = tuple(q.strip() for q in args.qi.split(",") if q.strip())
    if not quasi_identifiers or len(set(quasi_identifiers)) != len(quasi_identifiers):
        raise AnonymityError("argument '--qi' must list distinct column names")
    file_format(args.input, "input")
    file_format(args.out, "--out")
    if not args.hierarchies.is_dir():
        raise AnonymityError("argument '--hierarchies' must name a directory")
    if args.report and not args.report.parent.is_dir():
        raise AnonymityError("argument '--report' must be in an existing directory")
    check_suppression_limit(args.suppression_limit)
    models = [KAnonymity(args.k), *_sensitive_models(args)]
    hierarchies = load_hierarchies(args.hierarchies, list(quasi_identifiers), args.sep)
    return AnonymizationJob(
        args.input, args.out, quasi_identifiers, hierarchies, tuple(models), args.suppression_limit, args.sep,
        utility=args.utility,
    )


@contextlib.contextmanager
def dask_client(scheduler: str | None):
    """A client of the given scheduler, or of an in-process cluster (no worker start-up cost)."""
    from distributed import Client

    if scheduler:
        client = Client(scheduler)
    else:
        client = Client(processes=False, n_workers=1, threads_per_worker=os.cpu_count() or 1, dashboard_address=":0")
    try:
        yield client
    finally:
        client.close()


def _write_report(report: dict, path: Path) -> None:
    """A page with the class-size chart for `.html`, JSON otherwise; all or nothing."""
    text = render_report_html(report) if path.suffix.lower() in HTML else json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    staged = path.with_name(f".{path.name}.partial")
    staged.write_text(text, encoding="utf-8")
    staged.replace(path)


def anonymize(args: argparse.Namespace) -> int:
    """Runs the job; operator errors print one line and exit with code 2."""
    try:
        job = build_job(args)
        with dask_client(args.scheduler) as client:
            report = run(client, job)
    except AnonymityError as error:
        print(f"sakusei anonymize: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.report:
        _write_report(report, args.report)
    print(f"k={report['k']} suppressed={report['suppressed']} granularity={report['granularity']:.4f} "
          f"transformation={report['transformation']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sakusei")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
