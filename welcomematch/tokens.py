"""Personal-link tokens (group invitations, survey links, participant pages): the one way a
token is made and the one way it is stored, as its SHA-256 hash, never the token itself."""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: Random bytes of a token: 32 bytes give a 43-character URL-safe text.
TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh URL-safe random token, shown once and then only known by its hash."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What is stored of a token: the hex SHA-256 digest of its UTF-8 text."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_matches(stored: str, token: str) -> bool:
    """Whether ``token`` is the token of the ``stored`` hash (compared in constant time)."""
    return hmac.compare_digest(stored, token_hash(token))
