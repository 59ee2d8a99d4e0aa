"""The subcommands of each user group; each prints a plain summary of what it did."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from google.protobuf import json_format

from services.cli import delivery, municipality, proposals, sample
from services.cli.clients import PlatformClient, anonymity_target, contract_request, default_addresses
from services.common.errors import DomainError
from services.common.identity import Actor, TokenIssuer, generate_key_pair
from services.common.pb.sakusei.v1 import common_pb2, intake_pb2


def _client(token: str) -> PlatformClient:
    return PlatformClient(default_addresses(), token)


def _show(message) -> None:
    print(json_format.MessageToJson(message, ensure_ascii=False, indent=2))


def _show_all(messages) -> int:
    for message in messages:
        _show(message)
    return 0


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
    requests.set_defaults(run=lambda a, t: _show_all(_client(t).data_requests(a.open)))
    push = group.add_parser("push", help="push the extract answering a request")
    push.add_argument("request_id")
    push.add_argument("file", type=Path)
    push.add_argument("--encoding", default="utf-8", choices=("utf-8", "utf-8-sig", "cp932"))
    push.add_argument("--rows", type=int, required=True, help="number of data rows (header excluded)")
    push.add_argument("--resume", action="store_true", help="continue an interrupted push of this file")
    push.add_argument("--gzip", action="store_true", help="the file is gzip-compressed CSV")
    push.set_defaults(run=_push)
    prepare = group.add_parser("prepare", help="keep only what a request asks for (preliminary processing)")
    prepare.add_argument("request_id")
    prepare.add_argument("source", type=Path)
    prepare.add_argument("--out", type=Path, required=True)
    prepare.add_argument("--encoding", default="utf-8", choices=("utf-8", "utf-8-sig", "cp932"),
                         help="encoding of the source file")
    prepare.set_defaults(run=_prepare)
    for verb in ("acknowledge", "decline"):
        answer = group.add_parser(verb, help=f"{verb} a data request")
        answer.add_argument("request_id")
        answer.add_argument("--reason", required=verb == "decline", default="")
        answer.set_defaults(run=lambda a, t: municipality.answer(_client(t), a.request_id, a.action == "acknowledge",
                                                                 a.reason))
    watch = group.add_parser("watch", help="print open requests, then new ones as they are issued")
    watch.add_argument("--seconds", type=float, default=3600)
    watch.set_defaults(run=lambda a, t: municipality.watch(_client(t), a.seconds))
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
    return municipality.push(_client(token), args.request_id, args.file, args.encoding, args.rows, args.resume,
                             args.gzip, _Progress(args.file.stat().st_size, "pushing"))


def _prepare(args, token: str) -> int:
    if not args.source.is_file():
        print(f"sakusei: no such file: {args.source}", file=sys.stderr)
        return 2
    try:
        return municipality.prepare(_client(token), args.request_id, args.source, args.out, args.encoding)
    except DomainError as error:
        print(f"sakusei: {error}; nothing was written", file=sys.stderr)
        return 1


def add_business_group(groups) -> None:
    group = groups.add_parser("business", help="find files, propose, contract, list and pull your datasets") \
        .add_subparsers(dest="action", required=True)
    group.add_parser("datasets", help="datasets your contracts cover") \
        .set_defaults(run=lambda a, t: _show_all(_client(t).datasets()))
    pull = group.add_parser("pull", help="download a dataset, verifying its sha256")
    pull.add_argument("dataset_id")
    pull.add_argument("--out", type=Path, required=True)
    pull.add_argument("--no-resume", action="store_true", help="start again instead of resuming a partial file")
    pull.set_defaults(run=_pull)
    delivery.add_business_commands(group)
    files = group.add_parser("files", help="the portal: published files inviting proposals")
    files.add_argument("--kind", default="", help="words of the file name or purpose")
    files.add_argument("--item", default="", help="part of an item name")
    files.add_argument("--municipality", default="", help="a 6-digit local government code")
    files.set_defaults(run=lambda a, t: _show_all(_client(t).published_files(a.kind, a.item, a.municipality)))
    group.add_parser("windows", help="recruitment windows of this fiscal year and the next") \
        .set_defaults(run=lambda a, t: _show(_client(t).windows()) or 0)
    propose = group.add_parser("propose", help="submit a proposal written as JSON or YAML")
    propose.add_argument("file", type=Path, help="see services/cli/proposals.py for the layout")
    propose.set_defaults(run=lambda a, t: print(proposals.summary(
        _client(t).submit_proposal(proposals.submit_request(a.file)))) or 0)
    status = group.add_parser("status", help="where your proposal stands; without an id, all of yours")
    status.add_argument("proposal_id", nargs="?")
    status.set_defaults(run=_proposal_status)
    answer = group.add_parser("answer", help="answer a request for explanation or correction")
    answer.add_argument("proposal_id")
    answer.add_argument("--answer", required=True, help="your explanation")
    answer.add_argument("--form", type=Path, help="a corrected proposal file (its form and attachments)")
    answer.set_defaults(run=lambda a, t: print(proposals.summary(
        _client(t).answer_correction(proposals.answer_request(a.proposal_id, a.answer, a.form)))) or 0)
    notice = group.add_parser("notice", help="save the notice of the screening result as HTML")
    notice.add_argument("proposal_id")
    notice.add_argument("--out", type=Path, required=True)
    notice.set_defaults(run=lambda a, t: proposals.save_notice(_client(t), a.proposal_id, a.out))
    apply = group.add_parser("apply", help="apply for the contract of an approved proposal (Form 4)")
    apply.add_argument("proposal_id")
    apply.add_argument("--application", type=Path, help="a scan of the signed Form 4 (PDF)")
    apply.set_defaults(run=lambda a, t: print(proposals.summary(proposals.apply(_client(t), a.proposal_id,
                                                                                a.application))) or 0)


def _proposal_status(args, token: str) -> int:
    client = _client(token)
    found = [client.proposal(args.proposal_id)] if args.proposal_id else client.proposals()
    print("\n".join(proposals.summary(p) for p in found))
    return 0


def _pull(args, token: str) -> int:
    client = _client(token)
    known = {d.dataset_id: d for d in client.datasets()}
    total = known[args.dataset_id].size_bytes if args.dataset_id in known else 0
    pulled = client.pull(args.dataset_id, args.out, _Progress(total, "pulling"), resume=not args.no_resume)
    print(f"received {pulled.size_bytes} bytes into {args.out}; sha256 {pulled.sha256} verified")
    return 0


def add_reviewer_group(groups) -> None:
    group = groups.add_parser("reviewer", help="screen proposals, ask for corrections, decide; look at contracts") \
        .add_subparsers(dest="action", required=True)
    show = group.add_parser("contract", help="show a contract")
    show.add_argument("contract_id")
    show.set_defaults(run=lambda a, t: _show(_client(t).contract(a.contract_id)) or 0)
    queue = group.add_parser("queue", help="proposals waiting for a decision (or in another state)")
    queue.add_argument("--state", default="UNDER_REVIEW", choices=proposals.STATES)
    queue.set_defaults(run=lambda a, t: print(proposals.queue(_client(t), a.state)) or 0)
    proposal = group.add_parser("proposal", help="a proposal in full")
    proposal.add_argument("proposal_id")
    proposal.set_defaults(run=lambda a, t: _show(_client(t).proposal(a.proposal_id)) or 0)
    ask = group.add_parser("ask", help="ask the business for explanation or correction (Art. 4(7))")
    ask.add_argument("proposal_id")
    ask.add_argument("--message", required=True)
    ask.set_defaults(run=lambda a, t: print(proposals.summary(
        _client(t).request_correction(a.proposal_id, a.message))) or 0)
    decide = group.add_parser("decide", help="decide items 4 and 6 with reasons; approves or rejects")
    decide.add_argument("proposal_id")
    decide.add_argument("--criterion", action="append", required=True, metavar="ITEM=met|not-met:REASON",
                        help="e.g. '4=met:新産業の創出に資する' (give 4 and 6)")
    decide.add_argument("--work-minutes", type=int, default=0, help="estimated processing work, for the fee")
    decide.add_argument("--outsourcing-yen", type=int, default=0)
    decide.add_argument("--remarks", default="")
    _add_anonymity_arguments(decide)
    decide.set_defaults(run=lambda a, t: print(proposals.summary(_client(t).decide_proposal(proposals.decide_request(
        a.proposal_id, a.criterion, a.work_minutes, a.outsourcing_yen, a.remarks,
        anonymity_target(a.k, a.suppression_limit_pct, a.distinct_l))))) or 0)
    notice = group.add_parser("notice", help="save the notice of a proposal as HTML")
    notice.add_argument("proposal_id")
    notice.add_argument("--out", type=Path, required=True)
    notice.set_defaults(run=lambda a, t: proposals.save_notice(_client(t), a.proposal_id, a.out))


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
    _add_anonymity_arguments(conclude)
    conclude.set_defaults(run=_conclude)
    job = group.add_parser("job", help="the creation job of a contract's dataset")
    job.add_argument("contract_id")
    job.set_defaults(run=lambda a, t: _show(_client(t).job(a.contract_id)) or 0)
    delivery.add_operator_commands(group)


def _add_anonymity_arguments(parser) -> None:
    """Art. 11 measure 5 for the contract's files: never shown to the business."""
    parser.add_argument("--k", type=int, default=0, help="every file released k-anonymous (0: not enforced)")
    parser.add_argument("--suppression-limit-pct", type=float, default=0.0,
                        help="records that may be suppressed to reach k, in percent of a file")
    parser.add_argument("--distinct-l", action="append", default=[], metavar="ITEM:L",
                        help="distinct l-diversity of a sensitive item in every class (repeat)")


def _conclude(args, token: str) -> int:
    targets = []
    for text in args.target:
        code, file_id, items = text.split(":", 2)
        targets.append((code, file_id, items.split(",")))
    start = args.start if args.start.tzinfo else args.start.replace(tzinfo=timezone.utc)
    end = args.end if args.end.tzinfo else args.end.replace(tzinfo=timezone.utc)
    _show(_client(token).conclude_contract(contract_request(
        args.client_request_id, args.business, args.purpose, targets, start, end, args.max_downloads,
        anonymity=anonymity_target(args.k, args.suppression_limit_pct, args.distinct_l))))
    return 0


def add_auditor_group(groups) -> None:
    group = groups.add_parser("auditor", help="inspect the registry and jobs").add_subparsers(dest="action",
                                                                                             required=True)
    group.add_parser("datasets", help="every registered dataset") \
        .set_defaults(run=lambda a, t: _show_all(_client(t).datasets()))
    job = group.add_parser("job", help="the creation job of a contract's dataset")
    job.add_argument("contract_id")
    job.set_defaults(run=lambda a, t: _show(_client(t).job(a.contract_id)) or 0)

