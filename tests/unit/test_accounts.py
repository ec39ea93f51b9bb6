"""Users' names, roles, password hashes and token digests (indicators.accounts)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from indicators.accounts import (
    ANALYST,
    VIEWER,
    AccountError,
    User,
    check_name,
    check_password,
    check_role,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)

AT = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "stored"),
    [("Amina", "amina"), (" bek.s ", "bek.s"), ("a.n@example.kz", "a.n@example.kz"), ("x", "x")],
)
def test_names_are_stored_trimmed_and_lower_case(given: str, stored: str) -> None:
    assert check_name(given) == stored


@pytest.mark.parametrize("bad", ["", "a b", "-amina", "amina/../x", "a" * 65, "амина"])
def test_names_outside_the_allowed_characters_are_refused(bad: str) -> None:
    with pytest.raises(AccountError, match="user name"):
        check_name(bad)


def test_roles_are_viewer_and_analyst_and_only_analysts_may_act() -> None:
    assert check_role(VIEWER) == "viewer" and check_role(ANALYST) == "analyst"
    with pytest.raises(AccountError, match="expected one of viewer, analyst"):
        check_role("admin")

    def user(role: str) -> User:
        return User(1, "u", role, "h", False, AT, AT)

    assert user(ANALYST).may_act and not user(VIEWER).may_act


def test_short_passwords_are_refused_without_echoing_them() -> None:
    with pytest.raises(AccountError) as raised:
        check_password("secret123")
    assert "secret123" not in str(raised.value)
    check_password("secret1234")  # ten characters are enough


def test_a_hash_is_salted_argon2id_and_verifies_only_its_password() -> None:
    first, second = hash_password("a-long-password"), hash_password("a-long-password")
    assert first.startswith("$argon2id$") and first != second  # a fresh salt each time
    assert verify_password(first, "a-long-password") and verify_password(second, "a-long-password")
    assert not verify_password(first, "a-long-passworD")
    assert not verify_password("not a hash", "a-long-password")


def test_the_hash_never_shows_in_a_users_repr() -> None:
    stored = hash_password("a-long-password")
    assert stored not in repr(User(1, "amina", ANALYST, stored, True, AT, AT))


def test_tokens_are_random_and_stored_as_their_sha256() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50 and all(t.startswith("tm_") and len(t) >= 40 for t in tokens)
    token = next(iter(tokens))
    assert token_digest(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token not in token_digest(token)
