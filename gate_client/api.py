"""HTTP calls to the facegate server's gate endpoint (see docs/live.md for the contract)."""

from __future__ import annotations

from dataclasses import dataclass

import requests

CONNECT_TIMEOUT_S = 5.0
# How much longer than the long-poll wait the client gives the server to answer.
READ_MARGIN_S = 10.0


class GateServerError(Exception):
    """The server could not be reached or gave an unusable answer; worth retrying later."""


class GateAuthError(GateServerError):
    """The server refused the gate's token (401) or the gate (403): fix the configuration."""


class GateTlsError(GateServerError):
    """The server's certificate is not trusted (not signed by the CA in ca_file, or not for this host name)."""


class GateBadRequest(GateServerError):
    """The server refused what the gate sent as malformed (400): sending it again will not help."""


@dataclass(frozen=True)
class EventBatch:
    """One answer of the events endpoint: events oldest first, and the cursor to send next."""

    events: list[dict]
    cursor: str


class GateAPI:
    """The gate endpoint of one server, for one gate and its token; one instance per thread."""

    def __init__(
        self, server_url: str, gate_id: int, token: str, read_margin: float = READ_MARGIN_S, ca_file: str | None = None
    ) -> None:
        self.base_url = f"{server_url.rstrip('/')}/api/gates/{gate_id}"
        self.read_margin = read_margin
        self._session = requests.Session()
        # The site CA when given, else the system's CAs; never unverified. Passed with every request: a session's
        # own verify would lose to REQUESTS_CA_BUNDLE in the environment.
        self.verify: str | bool = ca_file or True
        self._session.headers.update({"Authorization": f"Bearer {token}", "User-Agent": "facegate-gate-client"})

    def fetch_events(self, after: str, wait: float) -> EventBatch:
        """Events after the cursor `after`, long-polling up to `wait` seconds; GateServerError when that fails."""
        url = f"{self.base_url}/events"
        response = self._request("GET", url, params={"after": after, "wait": f"{wait:g}"}, read_timeout=wait)
        try:
            body = response.json()
        except ValueError as exc:
            raise GateServerError(f"malformed JSON from {url}: {response.text[:80]!r}") from exc
        events = body.get("events") if isinstance(body, dict) else None
        cursor = body.get("cursor") if isinstance(body, dict) else None
        if not isinstance(events, list) or not isinstance(cursor, str) or not all(isinstance(e, dict) for e in events):
            raise GateServerError(f"unexpected answer from {url}: {response.text[:80]!r}")
        return EventBatch(events, cursor)

    def heartbeat(self) -> None:
        """Tell the server this gate is alive; GateServerError when that fails."""
        self._request("POST", f"{self.base_url}/heartbeat", read_timeout=0.0)

    def report_door(self, body: dict) -> dict:
        """Send one door report (app/gates/doors.py documents it); the server's answer. GateBadRequest when the
        server refuses the report itself, GateServerError when the request failed."""
        response = self._request("POST", f"{self.base_url}/door", read_timeout=0.0, json=body)
        try:
            answer = response.json()
        except ValueError as exc:
            raise GateServerError(f"malformed JSON from the door endpoint: {response.text[:80]!r}") from exc
        return answer if isinstance(answer, dict) else {}

    def close(self) -> None:
        """Close the HTTP connections."""
        self._session.close()

    def _request(self, method: str, url: str, read_timeout: float, **kwargs) -> requests.Response:
        try:
            response = self._session.request(
                method, url, timeout=(CONNECT_TIMEOUT_S, read_timeout + self.read_margin), verify=self.verify, **kwargs
            )
        except requests.exceptions.SSLError as exc:
            trusted = self.verify if isinstance(self.verify, str) else "the system's CAs"
            raise GateTlsError(f"{method} {url}: the server's certificate is not trusted by {trusted}: {exc}") from exc
        except requests.RequestException as exc:
            raise GateServerError(f"{method} {url} failed: {type(exc).__name__}: {exc}") from exc
        if response.status_code in (401, 403):
            raise GateAuthError(f"{method} {url}: HTTP {response.status_code} {_error_text(response)}")
        if response.status_code == 400:
            raise GateBadRequest(f"{method} {url}: HTTP 400 {_error_text(response)}")
        if not 200 <= response.status_code < 300:
            raise GateServerError(f"{method} {url}: HTTP {response.status_code} {_error_text(response)}")
        return response


def _error_text(response: requests.Response) -> str:
    try:
        return str(response.json().get("error", ""))
    except (ValueError, AttributeError):
        return response.text[:80]
