import pytest

from services.common.errors import InvalidArgument, PermissionDenied, Unauthenticated
from services.common.identity import Actor, Role, TokenIssuer, TokenVerifier, generate_key_pair, require


@pytest.mark.parametrize("text, role, ident", [
    ("municipality:131016", Role.MUNICIPALITY, "131016"),
    ("business:acme-research", Role.BUSINESS, "acme-research"),
    ("reviewer", Role.REVIEWER, ""),
    ("operator", Role.OPERATOR, ""),
    ("auditor", Role.AUDITOR, ""),
])
def test_actors_parse_and_print_back(text, role, ident):
    actor = Actor.parse(text)
    assert (actor.role, actor.id, str(actor)) == (role, ident, text)


@pytest.mark.parametrize("text", ["mayor", "municipality:", "municipality:13101", "business:", "business:../x",
                                  "operator:bob"])
def test_malformed_actors_are_refused(text):
    with pytest.raises(InvalidArgument):
        Actor.parse(text)


def test_a_token_proves_its_actor(issuer, verifier):
    assert verifier.verify(issuer.issue(Actor.parse("municipality:131016"))) == Actor(Role.MUNICIPALITY, "131016")


def test_an_expired_token_is_refused(issuer, verifier):
    token = issuer.issue(Actor(Role.OPERATOR), ttl_seconds=10, now=1000)
    with pytest.raises(Unauthenticated, match="expired"):
        verifier.verify(token, now=2000)


def test_a_token_signed_by_another_key_or_altered_is_refused(tmp_path, verifier):
    other = TokenIssuer.from_pem(generate_key_pair(tmp_path)[0])
    with pytest.raises(Unauthenticated):
        verifier.verify(other.issue(Actor(Role.OPERATOR)))
    with pytest.raises(Unauthenticated):
        verifier.verify("e30.AAAA")


def test_a_key_pair_keeps_its_private_half_private(tmp_path):
    private, public = generate_key_pair(tmp_path)
    assert private.stat().st_mode & 0o077 == 0
    assert TokenVerifier.from_pem(public)


def test_roles_outside_an_operation_are_denied():
    require(Actor(Role.OPERATOR), Role.OPERATOR, Role.AUDITOR)
    with pytest.raises(PermissionDenied):
        require(Actor(Role.BUSINESS, "acme"), Role.OPERATOR)
