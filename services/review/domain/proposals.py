"""A proposal (Form 1, or Form 6 for reuse): what it must contain, the documents attached to it,
and the states it moves through. Errors name the field and never repeat what was written in it."""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from services.common.codes import is_municipality_code
from services.common.errors import FailedPrecondition, InvalidArgument, ResourceExhausted
from services.review.domain.registers import RegisteredFile

NEW, REUSE = "NEW", "REUSE"
UNDER_REVIEW, AWAITING_CORRECTION = "UNDER_REVIEW", "AWAITING_CORRECTION"
APPROVED, REJECTED, CONTRACTED = "APPROVED", "REJECTED", "CONTRACTED"
INDIVIDUAL, COMPANY = "INDIVIDUAL", "COMPANY"
IDENTITY_DOCUMENT, PLEDGE, POWER_OF_ATTORNEY = "IDENTITY_DOCUMENT", "PLEDGE", "POWER_OF_ATTORNEY"
DOCUMENT_KINDS = (IDENTITY_DOCUMENT, PLEDGE, POWER_OF_ATTORNEY, "CONTRACT_APPLICATION", "OTHER")
HOLDERS = ("proposer", "proxy")
CONTENT_TYPES = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "text/plain": ".txt"}
MAX_DOCUMENT_BYTES = 2 << 20
MAX_DOCUMENTS_BYTES = 6 << 20
MAX_DOCUMENTS = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9()\- ]{6,19}$")
_POSTAL = re.compile(r"^\d{3}-?\d{4}$")


@dataclass(frozen=True)
class Contact:
    department: str
    person: str
    phone: str
    email: str


@dataclass(frozen=True)
class Party:
    kind: str
    name: str
    name_kana: str
    representative: str
    postal_code: str
    address: str
    contact: Contact


@dataclass(frozen=True)
class Use:
    purpose: str
    purpose_category: str
    method: str
    business: str
    period_start: datetime | None
    period_end: datetime | None


@dataclass(frozen=True)
class Target:
    municipality_code: str
    file_id: str


@dataclass(frozen=True)
class Form:
    kind: str
    proposer: Party
    proxy: Party | None
    file_kind: str
    targets: tuple[Target, ...]
    items: tuple[tuple[str, str], ...]  # (item name, degree)
    persons_wanted: int
    use: Use
    leak_prevention: str
    provision_method: str
    dataset_id: str


@dataclass(frozen=True)
class Document:
    """An attached document as screening sees it: what it is, whose, and when it was issued."""

    kind: str
    holder: str = "proposer"
    issued_on: datetime | None = None


@dataclass(frozen=True)
class Upload:
    kind: str
    content_type: str
    size: int
    holder: str


def validate_form(form: Form, purpose_categories: Collection[str], field: str = "form") -> None:
    if form.kind not in (NEW, REUSE):
        raise InvalidArgument(f"{field}.kind", "must be NEW (Form 1) or REUSE (Form 6)")
    _validate_party(form.proposer, f"{field}.proposer")
    if form.proxy is not None:
        _validate_party(form.proxy, f"{field}.proxy")
    _validate_use(form.use, purpose_categories, f"{field}.use")
    _require(form.leak_prevention, f"{field}.leak_prevention")
    if not form.provision_method:
        raise InvalidArgument(f"{field}.provision_method", "must be set")
    if form.kind == NEW:
        _validate_new(form, field)
    else:
        _validate_reuse(form, field)


def _require(value: str, field: str) -> None:
    if not value.strip():
        raise InvalidArgument(field, "must not be empty")


def _validate_party(party: Party, field: str) -> None:
    if party.kind not in (INDIVIDUAL, COMPANY):
        raise InvalidArgument(f"{field}.kind", "must be INDIVIDUAL or COMPANY")
    _require(party.name, f"{field}.name")
    _require(party.address, f"{field}.address")
    if party.kind == COMPANY:
        _require(party.representative, f"{field}.representative")
    if not _POSTAL.match(party.postal_code):
        raise InvalidArgument(f"{field}.postal_code", "must be a postal code like 100-0001")
    if not _PHONE.match(party.contact.phone):
        raise InvalidArgument(f"{field}.contact.phone", "must be a telephone number")
    if not _EMAIL.match(party.contact.email):
        raise InvalidArgument(f"{field}.contact.email", "must be an e-mail address")


def _validate_use(use: Use, purpose_categories: Collection[str], field: str) -> None:
    for name in ("purpose", "method", "business"):
        _require(getattr(use, name), f"{field}.{name}")
    if use.purpose_category not in purpose_categories:
        raise InvalidArgument(f"{field}.purpose_category", f"must be one of {', '.join(sorted(purpose_categories))}")
    if use.period_start is None:
        raise InvalidArgument(f"{field}.period_start", "must be set")
    if use.period_end is None:
        raise InvalidArgument(f"{field}.period_end", "must be set")
    if use.period_end <= use.period_start:
        raise InvalidArgument(f"{field}.period_end", "must be after period_start")


def _validate_new(form: Form, field: str) -> None:
    _require(form.file_kind, f"{field}.file_kind")
    if form.dataset_id:
        raise InvalidArgument(f"{field}.dataset_id", "only a reuse proposal cites a dataset")
    if not form.targets:
        raise InvalidArgument(f"{field}.targets", "name at least one municipality's file")
    seen: set[str] = set()
    for index, target in enumerate(form.targets):
        if not is_municipality_code(target.municipality_code):
            raise InvalidArgument(f"{field}.targets[{index}].municipality_code", "not a valid local government code")
        if target.municipality_code in seen:
            raise InvalidArgument(f"{field}.targets[{index}].municipality_code", "one file per municipality")
        seen.add(target.municipality_code)
        _require(target.file_id, f"{field}.targets[{index}].file_id")
    if not form.items:
        raise InvalidArgument(f"{field}.items", "name at least one record item and its degree")
    names = [name for name, _ in form.items]
    for index, (name, degree) in enumerate(form.items):
        _require(name, f"{field}.items[{index}].item")
        _require(degree, f"{field}.items[{index}].degree")
        if name in names[:index]:
            raise InvalidArgument(f"{field}.items[{index}].item", "appears more than once")
    if form.persons_wanted <= 0:
        raise InvalidArgument(f"{field}.persons_wanted", "must be a positive number of persons")


def _validate_reuse(form: Form, field: str) -> None:
    _require(form.dataset_id, f"{field}.dataset_id")
    if form.targets or form.items:
        raise InvalidArgument(f"{field}.targets", "a reuse proposal cites a dataset, not files and items")


def check_targets(form: Form, files: Mapping[str, RegisteredFile], field: str = "form") -> None:
    """Every target is a published file of the named kind, in the named municipality, inviting proposals."""
    for index, target in enumerate(form.targets):
        entry = files.get(target.file_id)
        where = f"{field}.targets[{index}].file_id"
        if entry is None or entry.municipality_code != target.municipality_code:
            raise InvalidArgument(where, "no published file of that municipality has this id")
        if not entry.proposals_invited:
            raise InvalidArgument(where, "this file does not invite proposals")
        if entry.file_name != form.file_kind:
            raise InvalidArgument(where, "is not a file of the kind named in file_kind")


def validate_uploads(uploads: list[Upload], has_proxy: bool, field: str = "attachments") -> None:
    if len(uploads) > MAX_DOCUMENTS:
        raise InvalidArgument(field, f"at most {MAX_DOCUMENTS} documents")
    for index, upload in enumerate(uploads):
        if upload.kind not in DOCUMENT_KINDS:
            raise InvalidArgument(f"{field}[{index}].kind", "must be set")
        if upload.content_type not in CONTENT_TYPES:
            raise InvalidArgument(f"{field}[{index}].content_type", f"must be one of {', '.join(CONTENT_TYPES)}")
        if upload.size == 0:
            raise InvalidArgument(f"{field}[{index}].content", "must not be empty")
        if upload.size > MAX_DOCUMENT_BYTES:
            raise ResourceExhausted(f"{field}[{index}].content: over {MAX_DOCUMENT_BYTES} bytes")
        if upload.holder not in HOLDERS or (upload.holder == "proxy" and not has_proxy):
            raise InvalidArgument(f"{field}[{index}].holder", "must be proposer, or proxy when a proxy proposes")
    if sum(u.size for u in uploads) > MAX_DOCUMENTS_BYTES:
        raise ResourceExhausted(f"{field}: over {MAX_DOCUMENTS_BYTES} bytes in all")


def require_state(state: str, allowed: tuple[str, ...], action: str) -> None:
    """Refuses an action the proposal's state does not allow (FAILED_PRECONDITION)."""
    if state not in allowed:
        raise FailedPrecondition(f"cannot {action}: the proposal is {state.lower().replace('_', ' ')}")
