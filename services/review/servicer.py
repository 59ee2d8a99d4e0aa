"""ReviewService over gRPC: the portal, windows, proposals, decisions, notices and contracts.

Each method checks the caller, turns the request into domain data, lets the domain decide, and
writes the result, its events (outbox) and its audit record in one transaction.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy.exc import IntegrityError

from services.common.artifacts import ArtifactStore
from services.common.audit import AuditTrail
from services.common.bus import new_envelope
from services.common.codes import is_municipality_code
from services.common.errors import InvalidArgument, NotFound, PermissionDenied
from services.common.grpc_edge import rpc
from services.common.identity import Actor, Role, TokenVerifier
from services.common.outbox import Outbox
from services.common.pb.sakusei.v1 import events_pb2, review_pb2, review_pb2_grpc
from services.review import convert, store
from services.review.config import ReviewConfig
from services.review.documents import Documents
from services.review.domain import contracts, fees, notices, proposals, registers, screening, windows
from services.review.domain.proposals import (APPROVED, AWAITING_CORRECTION, CONTRACTED, REJECTED, REUSE,
                                              UNDER_REVIEW)

_ANYONE = (Role.BUSINESS, Role.REVIEWER, Role.OPERATOR, Role.AUDITOR, Role.MUNICIPALITY)
_STAFF = (Role.REVIEWER, Role.OPERATOR, Role.AUDITOR)
_BUSINESS_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_MAX_LIST = 500


def _terms(request: review_pb2.ConcludeContractRequest) -> contracts.ContractTerms:
    for name in ("period_start", "period_end"):
        if not request.HasField(name):
            raise InvalidArgument(name, "must be set")
    targets = tuple(contracts.Target(t.municipality_code, t.file_id, tuple(t.items)) for t in request.targets)
    return contracts.ContractTerms(request.business_id, request.purpose, targets,
                                   request.period_start.ToDatetime(timezone.utc),
                                   request.period_end.ToDatetime(timezone.utc), request.max_downloads)


def _anonymity(target, items: set[str], field: str = "anonymity") -> None:
    contracts.validate_anonymity(contracts.AnonymityTarget(
        target.k, target.suppression_limit_pct, tuple((d.item, d.l) for d in target.distinct_l)), items, field)


def _shown_to(actor: Actor, message):
    """What a caller may see: a business is never shown the processing method (measure 5 target)."""
    if actor.role is not Role.BUSINESS or not message.HasField("anonymity"):
        return message
    shown = type(message)()
    shown.CopyFrom(message)
    shown.ClearField("anonymity")
    return shown


def _required(value: str, field: str) -> None:
    if not value:
        raise InvalidArgument(field, "must be set")


def _client_request_id(value: str) -> None:
    """The id that makes a repeated call return the first call's result; stored, so bounded."""
    _required(value, "client_request_id")
    if len(value) > 80:
        raise InvalidArgument("client_request_id", "at most 80 characters")


class ReviewServicer(review_pb2_grpc.ReviewServiceServicer):
    def __init__(self, engine, outbox: Outbox, audit: AuditTrail, verifier: TokenVerifier,
                 artifacts: ArtifactStore, config: ReviewConfig,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.engine, self.outbox, self.audit, self.verifier = engine, outbox, audit, verifier
        self.documents, self.config, self.clock = Documents(artifacts), config, clock

    # ---- contracts recorded by an operator ---------------------------------------------------

    @rpc(Role.OPERATOR)
    def ConcludeContract(self, request, context, actor: Actor):
        _client_request_id(request.client_request_id)
        contracts.validate_terms(_terms(request))
        _anonymity(request.anonymity, {item for t in request.targets for item in t.items})
        with self.engine.begin() as conn:
            existing = store.find_by_client_request(conn, request.client_request_id)
            if existing is not None:
                return review_pb2.Contract.FromString(existing)
            contract = review_pb2.Contract(
                contract_id=str(uuid.uuid4()), business_id=request.business_id, purpose=request.purpose,
                targets=request.targets, period_start=request.period_start, period_end=request.period_end,
                max_downloads=request.max_downloads, anonymity=request.anonymity)
            self._conclude(conn, actor, contract, request.client_request_id)
        return contract

    def _conclude(self, conn, actor: Actor | str, contract: review_pb2.Contract, client_request_id: str) -> None:
        contract.concluded_at.GetCurrentTime()
        store.insert_contract(conn, contract.contract_id, client_request_id, contract.business_id,
                              contract.concluded_at.ToDatetime(timezone.utc), contract.SerializeToString())
        event = events_pb2.ContractConcluded(contract=contract)
        self.outbox.add(conn, new_envelope(event, key=contract.contract_id, producer="review"))
        self.audit.record(conn, actor, "conclude_contract", "contract", contract.contract_id)

    @rpc(Role.OPERATOR, Role.REVIEWER, Role.AUDITOR, Role.BUSINESS)
    def GetContract(self, request, context, actor: Actor):
        with self.engine.connect() as conn:
            raw = store.get(conn, request.contract_id)
        if raw is None:
            raise NotFound("contract_id: no such contract")
        contract = review_pb2.Contract.FromString(raw)
        if actor.role is Role.BUSINESS and contract.business_id != actor.id:
            raise PermissionDenied("this contract belongs to another business")
        return _shown_to(actor, contract)

    # ---- the portal --------------------------------------------------------------------------

    @rpc(*_ANYONE)
    def ListPublishedFiles(self, request, context, actor: Actor):
        if request.municipality_code and not is_municipality_code(request.municipality_code):
            raise InvalidArgument("municipality_code", "not a valid local government code")
        if not 0 <= request.limit <= _MAX_LIST:
            raise InvalidArgument("limit", f"must be between 0 and {_MAX_LIST}")
        with self.engine.connect() as conn:
            entries = store.invited_files(conn, request.municipality_code)
        found = [e for e in entries if registers.matches(e, request.file_kind, request.item_name)]
        return review_pb2.ListPublishedFilesResponse(
            files=[convert.published_file(e) for e in found[:request.limit or 100]])

    # ---- recruitment windows -----------------------------------------------------------------

    @rpc(Role.OPERATOR)
    def ScheduleWindow(self, request, context, actor: Actor):
        _client_request_id(request.client_request_id)
        for name in ("announced_at", "opens_at", "closes_at"):
            if not request.HasField(name):
                raise InvalidArgument(name, "must be set")
        window = windows.Window(str(uuid.uuid4()), request.subject, convert.time_of(request, "announced_at"),
                                convert.time_of(request, "opens_at"), convert.time_of(request, "closes_at"))
        windows.validate_window(window)
        with self.engine.begin() as conn:
            existing = store.find_window(conn, request.client_request_id)
            if existing is None:
                store.insert_window(conn, window, request.client_request_id)
                self.audit.record(conn, actor, "schedule_window", "window", window.window_id)
            window = existing or window
            this_year = windows.fiscal_year(self.clock())
            missing = windows.years_without_window(store.list_windows(conn, this_year, this_year + 1), this_year,
                                                   this_year + 1)
        return review_pb2.ScheduleWindowResponse(window=convert.window_to_proto(window),
                                                 warnings=windows.warnings_for(missing))

    @rpc(*_ANYONE)
    def ListWindows(self, request, context, actor: Actor):
        first = request.from_fiscal_year or windows.fiscal_year(self.clock())
        last = request.to_fiscal_year or first + 1
        if not first <= last <= first + 20:
            raise InvalidArgument("to_fiscal_year", "must be from from_fiscal_year to 20 years after it")
        with self.engine.connect() as conn:
            found = store.list_windows(conn, first, last)
        missing = windows.years_without_window(found, first, last)
        return review_pb2.ListWindowsResponse(windows=[convert.window_to_proto(w) for w in found],
                                              fiscal_years_without_window=missing,
                                              warnings=windows.warnings_for(missing))

    # ---- proposals ---------------------------------------------------------------------------

    @rpc(Role.BUSINESS)
    def SubmitProposal(self, request, context, actor: Actor):
        _client_request_id(request.client_request_id)
        form = convert.form(request.form)
        proposals.validate_form(form, self.config.screening.max_period_days)
        proposals.validate_uploads([convert.upload(a) for a in request.attachments], form.proxy is not None)
        with self.engine.connect() as conn:
            existing = store.find_proposal(conn, actor.id, request.client_request_id)
            if existing is not None:
                return review_pb2.Proposal.FromString(existing[0])
            window_id = self._window_for(conn, form)
            facts = self._facts(conn, actor.id, form)
        proposal = review_pb2.Proposal(proposal_id=str(uuid.uuid4()), business_id=actor.id, form=request.form,
                                       window_id=window_id, state=convert.state_value(UNDER_REVIEW))
        now = self.clock()
        convert.stamp(proposal, "submitted_at", now)
        proposal.attachments.extend(self.documents.put_attachments(proposal.proposal_id, request.attachments))
        results = screening.screen(actor.id, form, convert.documents(proposal.attachments), facts,
                                   self.config.screening, now)
        proposal.criteria.extend(convert.criteria_to_proto(results))
        try:
            with self.engine.begin() as conn:
                store.insert_proposal(conn, proposal.proposal_id, actor.id, request.client_request_id, UNDER_REVIEW,
                                      now, proposal.SerializeToString())
                self.audit.record(conn, actor, "submit_proposal", "proposal", proposal.proposal_id)
        except IntegrityError:
            self.documents.remove(proposal.attachments)
            with self.engine.connect() as conn:
                return review_pb2.Proposal.FromString(store.find_proposal(conn, actor.id, request.client_request_id)[0])
        return proposal

    def _window_for(self, conn, form: proposals.Form) -> str:
        """New information is proposed inside an open window; reuse (Act 44-12) at any time."""
        if form.kind == REUSE:
            return ""
        return windows.open_window(store.list_windows(conn), self.clock()).window_id

    def _facts(self, conn, business_id: str, form: proposals.Form, field: str = "form") -> screening.Facts:
        if form.kind == REUSE and not store.dataset_exists(conn, form.dataset_id):
            raise InvalidArgument(f"{field}.dataset_id", "no dataset with this id has been created")
        files = store.files_by_id(conn, [t.file_id for t in form.targets])
        proposals.check_targets(form, files, field)
        return screening.Facts(files, store.disqualified(conn, business_id),
                               store.open_request_counts(conn, [t.municipality_code for t in form.targets]))

    def _load(self, conn, proposal_id: str, actor: Actor) -> tuple[review_pb2.Proposal, int]:
        found = store.get_proposal(conn, proposal_id) if proposal_id else None
        if found is None:
            raise NotFound("proposal_id: no such proposal")
        proposal = review_pb2.Proposal.FromString(found[0])
        if actor.role is Role.BUSINESS and proposal.business_id != actor.id:
            raise PermissionDenied("this proposal belongs to another business")
        return proposal, found[1]

    def _save(self, conn, proposal: review_pb2.Proposal, version: int) -> None:
        store.update_proposal(conn, proposal.proposal_id, version, convert.state_name(proposal.state),
                              proposal.SerializeToString())

    @rpc(Role.BUSINESS, *_STAFF)
    def GetProposal(self, request, context, actor: Actor):
        with self.engine.connect() as conn:
            return _shown_to(actor, self._load(conn, request.proposal_id, actor)[0])

    @rpc(Role.BUSINESS, *_STAFF)
    def ListProposals(self, request, context, actor: Actor):
        state = convert.state_name(request.state) or None
        business = actor.id if actor.role is Role.BUSINESS else None
        with self.engine.connect() as conn:
            rows = store.list_proposals(conn, business, state, _MAX_LIST)
        return review_pb2.ListProposalsResponse(
            proposals=[_shown_to(actor, review_pb2.Proposal.FromString(r)) for r in rows])

    @rpc(Role.REVIEWER)
    def RequestCorrection(self, request, context, actor: Actor):
        if not request.message.strip():
            raise InvalidArgument("message", "say what is to be explained or corrected")
        with self.engine.begin() as conn:
            proposal, version = self._load(conn, request.proposal_id, actor)
            proposals.require_state(convert.state_name(proposal.state), (UNDER_REVIEW,), "ask for a correction")
            round_ = proposal.corrections.add(message=request.message)
            convert.stamp(round_, "asked_at", self.clock())
            proposal.state = convert.state_value(AWAITING_CORRECTION)
            self._save(conn, proposal, version)
            self.audit.record(conn, actor, "request_correction", "proposal", proposal.proposal_id)
        return proposal

    @rpc(Role.BUSINESS)
    def AnswerCorrection(self, request, context, actor: Actor):
        if not request.answer.strip():
            raise InvalidArgument("answer", "must not be empty")
        with self.engine.connect() as conn:
            proposal, _ = self._load(conn, request.proposal_id, actor)
        proposals.require_state(convert.state_name(proposal.state), (AWAITING_CORRECTION,), "answer")
        revised = request.revised_form if request.HasField("revised_form") else proposal.form
        form = convert.form(revised)
        proposals.validate_form(form, self.config.screening.max_period_days, "revised_form")
        if form.kind != convert.form(proposal.form).kind:
            raise InvalidArgument("revised_form.kind", "a correction keeps the kind of proposal")
        proposals.validate_uploads([convert.upload(a) for a in request.attachments], form.proxy is not None)
        with self.engine.connect() as conn:
            facts = self._facts(conn, actor.id, form, "revised_form")
        added = self.documents.put_attachments(proposal.proposal_id, request.attachments)
        try:
            return self._record_answer(actor, request, revised, form, facts, added)
        except BaseException:
            self.documents.remove(added)
            raise

    def _record_answer(self, actor: Actor, request, revised, form: proposals.Form, facts: screening.Facts,
                       added) -> review_pb2.Proposal:
        """Records the answer and screens the proposal again as of its submission (Art. 4(4) dates
        documents relative to the proposal), with the register and capacity as they are now."""
        now = self.clock()
        with self.engine.begin() as conn:
            proposal, version = self._load(conn, request.proposal_id, actor)
            proposals.require_state(convert.state_name(proposal.state), (AWAITING_CORRECTION,), "answer")
            round_ = proposal.corrections[-1]
            round_.answer, round_.form_revised = request.answer, request.HasField("revised_form")
            convert.stamp(round_, "answered_at", now)
            proposal.form.CopyFrom(revised)
            proposal.attachments.extend(added)
            results = screening.screen(actor.id, form, convert.documents(proposal.attachments), facts,
                                       self.config.screening, proposal.submitted_at.ToDatetime(timezone.utc))
            del proposal.criteria[:]
            proposal.criteria.extend(convert.criteria_to_proto(results))
            proposal.state = convert.state_value(UNDER_REVIEW)
            self._save(conn, proposal, version)
            self.audit.record(conn, actor, "answer_correction", "proposal", proposal.proposal_id)
        return proposal

    @rpc(Role.REVIEWER)
    def DecideProposal(self, request, context, actor: Actor):
        with self.engine.connect() as conn:
            proposal, _ = self._load(conn, request.proposal_id, actor)
        proposals.require_state(convert.state_name(proposal.state), (UNDER_REVIEW,), "decide")
        _anonymity(request.anonymity, {i.item for i in proposal.form.items})
        results = screening.decide(convert.criteria(proposal.criteria), convert.decisions(request.decisions),
                                   str(actor))
        now = self.clock()
        fee = fees.quote(self.config.fees, request.estimated_work_minutes, request.outsourcing_yen, now)
        notice = self._notice(proposal, results, fee, now)
        try:
            return self._record_decision(actor, request, results, fee, notice)
        except BaseException:
            self.documents.store.delete(notice.artifact.bucket, notice.artifact.key)
            raise

    def _notice(self, proposal: review_pb2.Proposal, results, fee: fees.Fee, now: datetime) -> review_pb2.Notice:
        reuse = proposal.form.kind == review_pb2.PROPOSAL_KIND_REUSE
        notice_id = str(uuid.uuid4())
        heading = notices.Heading(notice_id[:8], now, proposal.form.proposer.name,
                                  proposal.submitted_at.ToDatetime(timezone.utc), self.config.organization, reuse)
        if screening.approved(results):
            kind = notices.APPROVAL
            provision = convert.enum_name(review_pb2.ProvisionMethod, proposal.form.provision_method,
                                          "PROVISION_METHOD_")
            html = notices.approval_html(heading, fee, provision)
        else:
            kind, html = notices.REJECTION, notices.rejection_html(heading, screening.unmet(results))
        notice = review_pb2.Notice(notice_id=notice_id, proposal_id=proposal.proposal_id,
                                   kind=review_pb2.NoticeKind.Value(f"NOTICE_KIND_{kind}"),
                                   form=notices.form_name(kind, reuse),
                                   artifact=self.documents.put_notice(proposal.proposal_id, notice_id, html))
        convert.stamp(notice, "issued_at", now)
        return notice

    def _record_decision(self, actor: Actor, request, results, fee: fees.Fee,
                         notice: review_pb2.Notice) -> review_pb2.Proposal:
        with self.engine.begin() as conn:
            proposal, version = self._load(conn, request.proposal_id, actor)
            proposals.require_state(convert.state_name(proposal.state), (UNDER_REVIEW,), "decide")
            del proposal.criteria[:]
            proposal.criteria.extend(convert.criteria_to_proto(results))
            proposal.remarks, proposal.notice_id, proposal.notice_kind = request.remarks, notice.notice_id, notice.kind
            if notice.kind == review_pb2.NOTICE_KIND_APPROVAL:
                proposal.state = convert.state_value(APPROVED)
                proposal.fee.CopyFrom(convert.fee_to_proto(fee))
                proposal.anonymity.CopyFrom(request.anonymity)
            else:
                proposal.state = convert.state_value(REJECTED)
            store.insert_notice(conn, notice.notice_id, proposal.proposal_id, notice.SerializeToString())
            self._save(conn, proposal, version)
            self.audit.record(conn, actor, "decide_proposal", "proposal", proposal.proposal_id,
                              outcome="ok" if proposal.state == convert.state_value(APPROVED) else "rejected")
        return proposal

    @rpc(Role.BUSINESS, *_STAFF)
    def GetNotice(self, request, context, actor: Actor):
        with self.engine.connect() as conn:
            self._load(conn, request.proposal_id, actor)
            raw = store.get_notice(conn, request.proposal_id)
        if raw is None:
            raise NotFound("proposal_id: no notice has been issued for this proposal yet")
        notice = review_pb2.Notice.FromString(raw)
        notice.html = self.documents.read(notice.artifact)
        return notice

    # ---- contract ----------------------------------------------------------------------------

    @rpc(Role.BUSINESS)
    def ApplyForContract(self, request, context, actor: Actor):
        with self.engine.connect() as conn:
            proposal, _ = self._load(conn, request.proposal_id, actor)
        stored = []
        if request.HasField("application") and not proposal.HasField("applied_at"):
            proposals.validate_uploads([convert.upload(request.application)], False, "application")
            stored = self.documents.put_attachments(proposal.proposal_id, [request.application])
        try:
            return _shown_to(actor, self._apply(actor, proposal.proposal_id, stored))
        except BaseException:
            self.documents.remove(stored)
            raise

    def _apply(self, actor: Actor, proposal_id: str, stored) -> review_pb2.Proposal:
        now = self.clock()
        with self.engine.begin() as conn:
            proposal, version = self._load(conn, proposal_id, actor)
            if proposal.HasField("applied_at"):
                return proposal
            proposals.require_state(convert.state_name(proposal.state), (APPROVED,), "apply for the contract")
            contracts.check_application(now, proposal.fee.payment_deadline.ToDatetime(timezone.utc))
            proposal.attachments.extend(stored)
            convert.stamp(proposal, "applied_at", now)
            self.audit.record(conn, actor, "apply_for_contract", "proposal", proposal.proposal_id)
            self._conclude_if_ready(conn, proposal)
            self._save(conn, proposal, version)
        return proposal

    @rpc(Role.OPERATOR)
    def RecordFeePayment(self, request, context, actor: Actor):
        with self.engine.begin() as conn:
            proposal, version = self._load(conn, request.proposal_id, actor)
            if proposal.HasField("fee_paid_at"):
                return proposal
            proposals.require_state(convert.state_name(proposal.state), (APPROVED,), "record the fee")
            contracts.check_payment(request.amount_yen, proposal.fee.total_yen)
            convert.stamp(proposal, "fee_paid_at", convert.time_of(request, "paid_at") or self.clock())
            self.audit.record(conn, actor, "record_fee_payment", "proposal", proposal.proposal_id)
            self._conclude_if_ready(conn, proposal)
            self._save(conn, proposal, version)
        return proposal

    def _conclude_if_ready(self, conn, proposal: review_pb2.Proposal) -> None:
        if not contracts.ready_to_conclude(proposal.HasField("applied_at"), proposal.HasField("fee_paid_at")):
            return
        contract = _contract_from(proposal)
        self._conclude(conn, "service:review", contract, f"proposal:{proposal.proposal_id}")
        proposal.contract_id = contract.contract_id
        proposal.state = convert.state_value(CONTRACTED)

    # ---- disqualifications -------------------------------------------------------------------

    @rpc(Role.OPERATOR)
    def AddDisqualification(self, request, context, actor: Actor):
        _client_request_id(request.client_request_id)
        if not _BUSINESS_ID.match(request.business_id):
            raise InvalidArgument("business_id", "must be a business id (letters, digits, '.', '_', '-')")
        kind = convert.enum_name(review_pb2.DisqualificationKind, request.kind, "DISQUALIFICATION_KIND_")
        if not kind:
            raise InvalidArgument("kind", "must be set")
        if not request.HasField("since"):
            raise InvalidArgument("since", "must be set")
        with self.engine.begin() as conn:
            row = store.find_disqualification(conn, request.client_request_id)
            if row is None:
                disqualification_id = str(uuid.uuid4())
                store.insert_disqualification(
                    conn, disqualification_id=disqualification_id, client_request_id=request.client_request_id,
                    business_id=request.business_id, kind=kind, since=convert.time_of(request, "since"),
                    until=convert.time_of(request, "until"), note=request.note)
                self.audit.record(conn, actor, "add_disqualification", "business", request.business_id)
                row = store.find_disqualification(conn, request.client_request_id)
        return _disqualification(row)

    @rpc(Role.OPERATOR, Role.REVIEWER, Role.AUDITOR)
    def ListDisqualifications(self, request, context, actor: Actor):
        with self.engine.connect() as conn:
            rows = store.list_disqualifications(conn)
        return review_pb2.ListDisqualificationsResponse(disqualifications=[_disqualification(r) for r in rows])


def _disqualification(row) -> review_pb2.Disqualification:
    message = review_pb2.Disqualification(
        disqualification_id=row.disqualification_id, business_id=row.business_id,
        kind=review_pb2.DisqualificationKind.Value(f"DISQUALIFICATION_KIND_{row.kind}"), note=row.note)
    convert.stamp(message, "since", row.since)
    if row.until is not None:
        convert.stamp(message, "until", row.until)
    return message


def _contract_from(proposal: review_pb2.Proposal) -> review_pb2.Contract:
    """The contract a proposal leads to: its purpose, items and degrees, period, and the Art. 10 terms."""
    form = proposal.form
    targets = [review_pb2.ContractTarget(municipality_code=t.municipality_code, file_id=t.file_id,
                                         items=[i.item for i in form.items],
                                         degrees={i.item: i.degree for i in form.items})
               for t in form.targets]
    conditions = review_pb2.ContractConditions(
        no_reidentification=True, no_secondary_distribution=True, safety_measures=form.leak_prevention,
        deletion_at_end=True, audit_rights=True, incident_reporting=True, method=form.use.method,
        business=form.use.business, provision_method=form.provision_method)
    return review_pb2.Contract(
        contract_id=str(uuid.uuid4()), business_id=proposal.business_id, purpose=form.use.purpose, targets=targets,
        period_start=form.use.period_start, period_end=form.use.period_end,
        max_downloads=contracts.DEFAULT_MAX_DOWNLOADS, proposal_id=proposal.proposal_id, conditions=conditions,
        fee_yen=proposal.fee.total_yen, reused_dataset_id=form.dataset_id, anonymity=proposal.anonymity)
