"""Dashboard users: names, roles, password hashes and API tokens (no I/O, no SQL).

Passwords are hashed with argon2id (argon2-cffi, its default parameters: the
low-memory profile of RFC 9106), a salted hash that is slow on purpose, so a
stolen `users` table does not give the passwords away. API tokens are random
(32 bytes from `secrets`) and stored as their SHA-256: a token is already
unguessable, so a fast hash loses nothing and lets the server find a token's
user by an indexed equality instead of trying every stored hash.

Roles: a `viewer` reads and exports; an `analyst` may also act on alerts and
propose lexicon terms (the dashboard's write paths).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

VIEWER = "viewer"
ANALYST = "analyst"
ROLES = (VIEWER, ANALYST)
# Lower-case letters, digits and . _ @ - ; at most 64 characters (an e-mail address fits).
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "tm_"


class AccountError(ValueError):
    """A user name, role or password that cannot be accepted, or a user that does not exist."""


@dataclass(frozen=True)
class User:
    """One dashboard user as stored (the password hash never shows in a repr)."""

    id: int
    name: str
    role: str
    password_hash: str = field(repr=False)
    has_token: bool
    created_at: datetime
    updated_at: datetime
    token_created_at: datetime | None = None
    session_epoch: int = 0  # raised when the user signs out: older sessions end

    @property
    def may_act(self) -> bool:
        """May this user act on alerts and propose lexicon terms?"""
        return self.role == ANALYST


def check_name(name: str) -> str:
    """The user name as stored (trimmed, lower-case), or AccountError saying what is wrong."""
    clean = name.strip().lower()
    if not NAME_PATTERN.fullmatch(clean):
        raise AccountError(
            f"user name {name!r}: use 1-64 lower-case letters, digits and . _ @ - "
            "(starting with a letter or digit)"
        )
    return clean


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> None:
    """Refuse passwords too short to withstand guessing (the text itself is never echoed)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of `password` with a fresh random salt (PHC string format)."""
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Does `password` match `stored_hash`? A malformed stored hash never matches."""
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def spend_verify_time(password: str) -> None:
    """Verify against a throw-away hash, so an unknown user name takes as long as a known one."""
    verify_password(_decoy_hash(), password)


def new_token() -> str:
    """A fresh API token (shown to the user once; only its digest is stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the store keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
