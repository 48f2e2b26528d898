"""GET /metrics: the Prometheus exposition, for a signed-in admin or a scraper with FACEGATE_METRICS_TOKEN."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, request
from flask_login import current_user

from app.extensions import csrf
from app.observability.exposition import render_metrics
from app.redis_client import get_redis

bp = Blueprint("metrics", __name__)
# Read-only (GET) and authenticated by a session or a bearer token: nothing for CSRF to protect.
csrf.exempt(bp)

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def scraper_token_ok() -> bool:
    """Whether the request carries `Authorization: Bearer <FACEGATE_METRICS_TOKEN>` (never when the token is unset)."""
    expected = current_app.config["METRICS_TOKEN"]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


@bp.get("/metrics")
def metrics() -> Response:
    """The metrics in Prometheus' text format; 401 without credentials, 403 for a signed-in non-admin."""
    if not (scraper_token_ok() or (current_user.is_authenticated and current_user.is_admin)):
        status = 403 if current_user.is_authenticated else 401
        response = Response(
            "metrics need an admin session or the metrics bearer token\n", status, mimetype="text/plain"
        )
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="facegate-metrics"'
        return response
    body = render_metrics(get_redis(current_app.config["REDIS_URL"]), current_app.config)
    return Response(body, 200, content_type=PROMETHEUS_TEXT)
