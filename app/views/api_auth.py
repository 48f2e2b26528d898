"""Authentication of the scripts' JSON API (/api/v1): a personal API token as a bearer token, and nothing else.

No session cookie is looked at under /api/v1, so the API needs no CSRF token (a browser cannot send someone's bearer
token by itself); unknown tokens count towards the per-address throttle the gate endpoint uses.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g

from app.api_tokens import token_for
from app.extensions import db
from app.models import ApiToken
from app.models.types import utcnow
from app.views.api_input import ApiError
from app.views.token_throttle import presented_bearer_token, record_token_failure

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="facegate-api"'}


def authenticated_token(scope: str) -> ApiToken:
    """The valid API token of the request, allowed scope; ApiError 401 (missing, unknown, revoked, owner no longer an
    active admin), 403 (a read token for a write) or 429 (too many unknown tokens from this address)."""
    raw, address = presented_bearer_token(BEARER_CHALLENGE)
    token = token_for(raw)
    if token is None:
        record_token_failure(address)
        raise ApiError(401, "unknown API token", BEARER_CHALLENGE)
    if token.revoked_at is not None:
        raise ApiError(401, "this API token was revoked", BEARER_CHALLENGE)
    if token.user is None or token.user.role != "admin" or not token.user.active:
        raise ApiError(401, "this API token's account is no longer an active admin", BEARER_CHALLENGE)
    if not token.allows(scope):
        raise ApiError(403, f"this API token is scoped {token.scope}; this needs {scope}")
    token.last_used_at = utcnow()
    db.session.commit()
    return token


def token_required(scope: str) -> Callable:
    """Decorate an /api/v1 view: it runs only with a valid token allowed scope ("read" or "write"), in g.api_token."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            g.api_token = authenticated_token(scope)
            return view(*args, **kwargs)

        guarded.api_scope = scope
        return guarded

    return decorate


def api_actor() -> str:
    """Who acts through this request's API token, as the audit trail names them: 'owner (API token name)'."""
    token = g.api_token
    return f"{token.user.username} (API token {token.name})"
