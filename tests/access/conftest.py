"""A small site for the access tests: two gates, people, and a way to decide a pass at a given instant."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from app.accounts import create_gate, create_staff
from app.gates.decide import GateDecision
from app.gates.log_writer import record_decision
from app.gates.stream import Event


class Site:
    """Gates "Front" and "Back"; staff A1 (no clearance) and B2 (cleared for Back at any hour)."""

    def __init__(self) -> None:
        self.front, _ = create_gate("Front", "0")
        self.back, _ = create_gate("Back", "1")
        create_staff("A1", "Ada", "Lovelace")
        create_staff("B2", "Alan", "Turing", gate_names=["Back"])

    def decide(self, identity: str, gate: str, when: datetime) -> Event:
        """The event a decision for identity at gate (by name) at the aware instant when gets."""
        gate_id = {"Front": self.front.id, "Back": self.back.id}[gate]
        event = record_decision(GateDecision(uuid.uuid4().hex, gate_id, identity, 1, when.timestamp()))
        assert event is not None
        return event

    def verdict(self, identity: str, gate: str, when: datetime) -> tuple[str, str | None]:
        """(event type, reason) of a decision."""
        event = self.decide(identity, gate, when)
        return event.type, event.reason


@pytest.fixture()
def site(app, db, redis_client) -> Site:
    """The site, on the real MariaDB (emptied afterwards)."""
    return Site()


@pytest.fixture()
def site_zone(app):
    """site_zone(name): run the test with the site's time zone set to name (restored afterwards)."""
    saved = app.config["TIMEZONE"]

    def set_zone(name: str) -> None:
        app.config["TIMEZONE"] = name

    yield set_zone
    app.config["TIMEZONE"] = saved
