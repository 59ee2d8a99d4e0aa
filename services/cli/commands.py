"""The subcommands of each user group; each prints a plain summary of what it did."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from google.protobuf import json_format

from services.cli import sample
from services.cli.clients import PlatformClient, contract_request, default_addresses
from services.common.identity import Actor, TokenIssuer, generate_key_pair
from services.common.pb.sakusei.v1 import common_pb2, intake_pb2


def _client(token: str) -> PlatformClient:
    return PlatformClient(default_addresses(), token)


def _show(message) -> None:
    print(json_format.MessageToJson(message, ensure_ascii=False, indent=2))


class _Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total: int, verb: str):
        self.total, self.verb = max(total, 1), verb

    def __call__(self, done: int) -> None:
        filled = int(30 * done / self.total)
        sys.stderr.write(f"\r{self.verb} [{'#' * filled}{'.' * (30 - filled)}] {done * 100 // self.total:3d}%")
        if done >= self.total:
            sys.stderr.write("\n")


def add_token_group(groups) -> None:
    group = groups.add_parser("token", help="development keys and tokens").add_subparsers(dest="action",
                                                                                          required=True)
    keygen = group.add_parser("keygen", help="write an Ed25519 key pair for signing tokens")
    keygen.add_argument("directory", type=Path)
    keygen.set_defaults(run=lambda a: print(*generate_key_pair(a.directory), sep="\n") or 0)
    issue = group.add_parser("issue", help="print a signed token for an actor, e.g. municipality:131016")
    issue.add_argument("actor")
    issue.add_argument("--key", type=Path, required=True, help="the private key PEM")
    issue.add_argument("--ttl", type=int, default=3600, help="seconds the token is valid")
    issue.set_defaults(run=lambda a: print(TokenIssuer.from_pem(a.key).issue(Actor.parse(a.actor), a.ttl)) or 0)


def add_municipality_group(groups) -> None:
    group = groups.add_parser("municipality", help="register files, see requests, push extracts") \
        .add_subparsers(dest="action", required=True)
    register = group.add_parser("register-file", help="register a personal-information file")
    register.add_argument("--client-request-id", required=True)
    register.add_argument("--file-name", required=True)
    register.add_argument("--purpose", required=True)
    register.add_argument("--item", action="append", required=True, metavar="NAME:TYPE:ROLE",
                          help="e.g. 氏名:TEXT:IDENTIFIER (repeat)")
    register.add_argument("--persons", type=int, required=True)
    register.add_argument("--invite-proposals", action="store_true")
    register.set_defaults(run=_register_file)
    requests = group.add_parser("requests", help="list the data requests addressed to you")
    requests.add_argument("--open", action="store_true", help="only those still open")
    requests.set_defaults(run=lambda a, t: [_show(r) for r in _client(t).data_requests(a.open)] and 0)
    push = group.add_parser("push", help="push the extract answering a request")
    push.add_argument("request_id")
    push.add_argument("file", type=Path)
    push.add_argument("--encoding", default="utf-8", choices=("utf-8", "utf-8-sig", "cp932"))
    push.add_argument("--rows", type=int, required=True, help="number of data rows (header excluded)")
    push.set_defaults(run=_push)
    sample_cmd = group.add_parser("sample-extract", help="write a synthetic extract for trying the platform")
    sample_cmd.add_argument("file", type=Path)
    sample_cmd.add_argument("--rows", type=int, default=400)
    sample_cmd.set_defaults(run=lambda a, t: sample.write_extract(a.file, a.rows, seed=0) or 0)


def _register_file(args, token: str) -> int:
    items = []
    for text in args.item:
        name, kind, role = text.rsplit(":", 2)
        items.append(common_pb2.RecordItem(name=name, type=common_pb2.ItemType.Value(f"ITEM_TYPE_{kind}"),
                                           role=common_pb2.ItemRole.Value(f"ITEM_ROLE_{role}")))
    _show(_client(token).register_file(intake_pb2.RegisterFileRequest(
        client_request_id=args.client_request_id, file_name=args.file_name, purpose=args.purpose, items=items,
        number_of_persons=args.persons, proposals_invited=args.invite_proposals)))
    return 0


def _push(args, token: str) -> int:
    if not args.file.is_file():
        print(f"sakusei: no such file: {args.file}", file=sys.stderr)
        return 2
    size = args.file.stat().st_size
    reply = _client(token).push_extract(args.request_id, args.file, args.encoding, args.rows,
                                        _Progress(size, "pushing"))
    print(f"sent {reply.size_bytes} bytes, {reply.row_count} rows; extract {reply.extract_id}; "
          f"sha256 {reply.sha256} verified by the organization")
    return 0


def add_business_group(groups) -> None:
    group = groups.add_parser("business", help="list and pull your datasets").add_subparsers(dest="action",
                                                                                            required=True)
    group.add_parser("datasets", help="datasets your contracts cover") \
        .set_defaults(run=lambda a, t: [_show(d) for d in _client(t).datasets()] and 0)
    pull = group.add_parser("pull", help="download a dataset, verifying its sha256")
    pull.add_argument("dataset_id")
    pull.add_argument("--out", type=Path, required=True)
    pull.set_defaults(run=_pull)


def _pull(args, token: str) -> int:
    client = _client(token)
    known = {d.dataset_id: d for d in client.datasets()}
    total = known[args.dataset_id].size_bytes if args.dataset_id in known else 0
    pulled = client.pull(args.dataset_id, args.out, _Progress(total, "pulling"))
    print(f"received {pulled.size_bytes} bytes into {args.out}; sha256 {pulled.sha256} verified")
    return 0


def add_reviewer_group(groups) -> None:
    group = groups.add_parser("reviewer", help="look at contracts").add_subparsers(dest="action", required=True)
    show = group.add_parser("contract", help="show a contract")
    show.add_argument("contract_id")
    show.set_defaults(run=lambda a, t: _show(_client(t).contract(a.contract_id)) or 0)


def add_operator_group(groups) -> None:
    group = groups.add_parser("operator", help="record contracts, follow jobs").add_subparsers(dest="action",
                                                                                              required=True)
    conclude = group.add_parser("conclude-contract", help="record a concluded provision contract")
    conclude.add_argument("--client-request-id", required=True)
    conclude.add_argument("--business", required=True)
    conclude.add_argument("--purpose", required=True)
    conclude.add_argument("--target", action="append", required=True, metavar="CODE:FILE_ID:ITEM,ITEM",
                          help="a municipality's file and the items wanted from it (repeat)")
    conclude.add_argument("--start", type=datetime.fromisoformat, required=True)
    conclude.add_argument("--end", type=datetime.fromisoformat, required=True)
    conclude.add_argument("--max-downloads", type=int, default=3)
    conclude.set_defaults(run=_conclude)
    job = group.add_parser("job", help="the creation job of a contract's dataset")
    job.add_argument("contract_id")
    job.set_defaults(run=lambda a, t: _show(_client(t).job(a.contract_id)) or 0)


def _conclude(args, token: str) -> int:
    targets = []
    for text in args.target:
        code, file_id, items = text.split(":", 2)
        targets.append((code, file_id, items.split(",")))
    start = args.start if args.start.tzinfo else args.start.replace(tzinfo=timezone.utc)
    end = args.end if args.end.tzinfo else args.end.replace(tzinfo=timezone.utc)
    _show(_client(token).conclude_contract(contract_request(args.client_request_id, args.business, args.purpose,
                                                            targets, start, end, args.max_downloads)))
    return 0


def add_auditor_group(groups) -> None:
    group = groups.add_parser("auditor", help="inspect the registry and jobs").add_subparsers(dest="action",
                                                                                             required=True)
    group.add_parser("datasets", help="every registered dataset") \
        .set_defaults(run=lambda a, t: [_show(d) for d in _client(t).datasets()] and 0)
    job = group.add_parser("job", help="the creation job of a contract's dataset")
    job.add_argument("contract_id")
    job.set_defaults(run=lambda a, t: _show(_client(t).job(a.contract_id)) or 0)

