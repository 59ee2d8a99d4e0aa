"""Who is calling: actors with roles, proven by Ed25519-signed tokens.

A token is ``base64url(claims JSON) "." base64url(signature)``. The organization's identity
provider holds the private key; services hold only the public key, so no service can mint a
token. Claims: ``sub`` (the actor, e.g. ``municipality:131016``), ``iat``, ``exp``.
"""
from __future__ import annotations

import base64
import enum
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.common.errors import InvalidArgument, PermissionDenied, Unauthenticated


class Role(enum.Enum):
    MUNICIPALITY = "municipality"
    REVIEWER = "reviewer"
    OPERATOR = "operator"
    BUSINESS = "business"
    AUDITOR = "auditor"


_ROLES_WITH_ID = {Role.MUNICIPALITY, Role.BUSINESS}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_MUNICIPALITY_CODE = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class Actor:
    role: Role
    id: str = ""

    @classmethod
    def parse(cls, text: str) -> "Actor":
        name, _, ident = text.partition(":")
        try:
            role = Role(name)
        except ValueError:
            raise InvalidArgument("actor", "unknown role") from None
        if role in _ROLES_WITH_ID:
            if not _ID.match(ident):
                raise InvalidArgument("actor", f"role {role.value} needs an id")
            if role is Role.MUNICIPALITY and not _MUNICIPALITY_CODE.match(ident):
                raise InvalidArgument("actor", "a municipality is named by its 6-digit code")
        elif ident:
            raise InvalidArgument("actor", f"role {role.value} takes no id")
        return cls(role, ident)

    def __str__(self) -> str:
        return f"{self.role.value}:{self.id}" if self.id else self.role.value


def require(actor: Actor, *roles: Role) -> None:
    """Refuses an actor whose role is not among those allowed for an operation."""
    if actor.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise PermissionDenied(f"this operation is for {allowed}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    def __init__(self, private_key: Ed25519PrivateKey):
        self._key = private_key

    @classmethod
    def from_pem(cls, path: Path) -> "TokenIssuer":
        return cls(serialization.load_pem_private_key(path.read_bytes(), password=None))

    def issue(self, actor: Actor, ttl_seconds: int = 3600, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        claims = {"sub": str(actor), "iat": issued, "exp": issued + ttl_seconds}
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return body + "." + _b64(self._key.sign(body.encode()))


class TokenVerifier:
    def __init__(self, public_key: Ed25519PublicKey):
        self._key = public_key

    @classmethod
    def from_pem(cls, path: Path) -> "TokenVerifier":
        return cls(serialization.load_pem_public_key(path.read_bytes()))

    def verify(self, token: str, now: float | None = None) -> Actor:
        body, _, signature = token.partition(".")
        try:
            self._key.verify(_unb64(signature), body.encode())
            claims = json.loads(_unb64(body))
        except (InvalidSignature, ValueError):
            raise Unauthenticated("token signature is not valid") from None
        if claims.get("exp", 0) < (time.time() if now is None else now):
            raise Unauthenticated("token has expired")
        try:
            return Actor.parse(claims.get("sub", ""))
        except InvalidArgument:
            raise Unauthenticated("token names no valid actor") from None


def generate_key_pair(directory: Path) -> tuple[Path, Path]:
    """Writes a development key pair (private key readable by its owner only)."""
    directory.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private = directory / "token_ed25519.pem"
    public = directory / "token_ed25519.pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    private.chmod(0o600)
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public
