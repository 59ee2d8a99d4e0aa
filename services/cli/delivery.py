"""Delivery's subcommands: resumable pulls, deletion certificates, tracing leaks, recalls and cases."""
from __future__ import annotations

import sys
from pathlib import Path

from google.protobuf import json_format

from services.cli.clients import PlatformClient, default_addresses
from services.common.pb.sakusei.v1 import delivery_pb2

FORMATS = {"parquet": delivery_pb2.DELIVERY_FORMAT_PARQUET, "csv-utf-8": delivery_pb2.DELIVERY_FORMAT_CSV_UTF8,
           "csv-cp932": delivery_pb2.DELIVERY_FORMAT_CSV_CP932}


def _client(token: str) -> PlatformClient:
    return PlatformClient(default_addresses(), token)


def _show_all(messages) -> int:
    for message in messages:
        print(json_format.MessageToJson(message, ensure_ascii=False, indent=2))
    return 0


def _case_line(case: delivery_pb2.Case) -> str:
    pending = [d.party for d in case.demands if not d.HasField("certified_at")]
    return (f"{case.case_id}  {delivery_pb2.CaseKind.Name(case.kind)}  {delivery_pb2.CaseState.Name(case.state)}  "
            f"{case.subject_type} {case.subject_id}  awaiting: {', '.join(pending) or 'nobody'}")


def add_business_commands(group) -> None:
    certify = group.add_parser("submit-deletion-certificate", help="certify that you deleted what a case demanded")
    certify.add_argument("case_id")
    certify.add_argument("--statement", required=True, help="what was deleted, how and when")
    certify.add_argument("--document", type=Path, help="the signed certificate (PDF), at most 4 MiB")
    certify.set_defaults(run=_certify)
    cases = group.add_parser("cases", help="cases that demand a deletion of you")
    cases.add_argument("--open", action="store_true")
    cases.set_defaults(run=lambda a, t: print("\n".join(_case_line(c) for c in _client(t).cases(a.open))) or 0)
    group.add_parser("registry", help="the register of created datasets (Art. 12), for reuse proposals") \
        .set_defaults(run=lambda a, t: _show_all(_client(t).registry()))


def _certify(args, token: str) -> int:
    document = args.document.read_bytes() if args.document else b""
    case = _client(token).submit_deletion_certificate(args.case_id, args.statement, document)
    print(_case_line(case))
    return 0


def add_operator_commands(group) -> None:
    trace = group.add_parser("trace", help="name the recipient whose copy a leaked file comes from")
    trace.add_argument("leaked_file", type=Path, help="CSV (UTF-8 or CP932) or Parquet")
    trace.add_argument("--dataset", default="", help="the dataset id, if known")
    trace.set_defaults(run=_trace)
    recall = group.add_parser("recall", help="recall a dataset for inadequate processing")
    recall.add_argument("dataset_id")
    recall.add_argument("--reason", required=True)
    recall.set_defaults(run=lambda a, t: print(_case_line(_client(t).recall(a.dataset_id, a.reason))) or 0)
    misuse = group.add_parser("misuse", help="cancel a business's contract for misuse and demand deletion")
    misuse.add_argument("contract_id")
    misuse.add_argument("--reason", required=True)
    misuse.add_argument("--downstream", action="append", default=[], help="a business it passed the data to (repeat)")
    misuse.set_defaults(run=lambda a, t: print(_case_line(_client(t).report_misuse(a.contract_id, a.reason,
                                                                                   a.downstream))) or 0)
    cases = group.add_parser("cases", help="recall, misuse and contract-end cases")
    cases.add_argument("--open", action="store_true", help="only those not closed")
    cases.add_argument("--full", action="store_true", help="every step and demand")
    cases.set_defaults(run=_cases)
    fmt = group.add_parser("delivery-format", help="the format a contract's packages carry the data in")
    fmt.add_argument("contract_id")
    fmt.add_argument("format", choices=tuple(FORMATS))
    fmt.set_defaults(run=lambda a, t: _show_all([_client(t).set_delivery_format(a.contract_id, FORMATS[a.format])]))
    cancel = group.add_parser("cancel-provision", help="a municipality cancelled its provision contract: recall "
                                                       "every dataset from its files (a municipality's token may too)")
    cancel.add_argument("municipality_code")
    cancel.add_argument("--reason", required=True)
    cancel.set_defaults(run=lambda a, t: print("\n".join(_case_line(c) for c in _client(t).cancel_provision(
        a.municipality_code, a.reason))) or 0)
    records = group.add_parser("provisions", help="third-party provision records, kept three years (auditors too)")
    records.add_argument("--dataset", default="")
    records.set_defaults(run=lambda a, t: _show_all(_client(t).provision_records(a.dataset)))


def _trace(args, token: str) -> int:
    if not args.leaked_file.is_file():
        print(f"sakusei: no such file: {args.leaked_file}", file=sys.stderr)
        return 2
    result = _client(token).trace_leak(args.leaked_file.read_bytes(), args.dataset)
    print(f"dataset {result.dataset_id}: {result.conclusion}")
    print(f"rows examined {result.rows_examined}; columns {', '.join(result.columns_used)}")
    for score in result.scores[:5]:
        print(f"  {score.recipient}: {score.rows_matched} rows match, log LR {score.log_likelihood_ratio:.1f}, "
              f"confidence {score.confidence:.6f}, p {score.p_value:.3g}")
    return 0


def _cases(args, token: str) -> int:
    found = _client(token).cases(args.open)
    if args.full:
        return _show_all(found)
    print("\n".join(_case_line(c) for c in found))
    return 0
