"""Cross-cutting web safety: local-only redirects, security headers, friendly CSRF and size errors."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, render_template
from flask_wtf.csrf import CSRFError


def is_local_url(target: str) -> bool:
    """Whether target is a path on this site (no scheme, no host, no '//' or '\\' tricks, no control chars)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _add_security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def register_safety(flask_app: Flask) -> None:
    """Attach the security headers and the error pages for CSRF failures and oversized uploads."""
    flask_app.after_request(_add_security_headers)

    @flask_app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = f"The form expired or did not come from this site ({error.description}). Reload the page and retry."
        return render_template("error.html", title="Form refused", message=message), 400

    @flask_app.errorhandler(413)
    def too_large(error):
        return render_template("error.html", title="Upload too large", message="The upload is too large."), 413
