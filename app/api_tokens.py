"""Personal API tokens: create one for an admin account (the token shown once), find the token a request carries,
revoke. Only a SHA-256 of each token is stored."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, User
from app.models.api_token import SCOPES
from app.models.types import utcnow

TOKEN_PREFIX = "fgt_"


class TokenError(ValueError):
    """A token that cannot be created as asked, with a message for people."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User, name: str, scope: str) -> tuple[ApiToken, str]:
    """A new token for user (an active admin) named name with scope (committed); it and the token, shown once."""
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise TokenError("A token needs a name of 1-64 characters (what the script is).")
    if scope not in SCOPES:
        raise TokenError(f"The scope must be one of {', '.join(SCOPES)}.")
    if user is None or user.role != "admin" or not user.active:
        raise TokenError("API tokens belong to active admin accounts.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, user_id=user.id, scope=scope, token_hash=_hash(token), prefix=token[:12])
    db.session.add(row)
    db.session.commit()
    return row, token


def token_for(token: str) -> ApiToken | None:
    """The token row a request's token is, revoked or not; None when there is none."""
    return db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))


def revoke_api_tokens(ids: list[int]) -> int:
    """Revoke the tokens with these ids (at once, for good); how many were still valid."""
    rows = db.session.scalars(select(ApiToken).where(ApiToken.id.in_(ids), ApiToken.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = utcnow()
    db.session.commit()
    return len(rows)
