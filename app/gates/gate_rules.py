"""The decision rules of one gate: the configured rules, without the liveness check at a gate whose liveness is off.

A worker reads each gate's liveness mode from the database at most every MODE_TTL_S seconds, so an admin's change
takes effect within that time and a frame costs no query.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace

from sqlalchemy import select

from app.extensions import db
from app.gates.decide import DecisionRules
from app.models import Gate

MODE_TTL_S = 10.0
_modes: dict[int, tuple[float, str]] = {}


def liveness_mode(gate_id: int, now: float | None = None) -> str:
    """The gate's liveness mode (off, warn, enforce), read again when older than MODE_TTL_S; enforce for a gate that
    no longer exists (its decisions are dropped at delivery anyway)."""
    now = time.monotonic() if now is None else now
    cached = _modes.get(gate_id)
    if cached is None or now - cached[0] > MODE_TTL_S:
        mode = db.session.scalar(select(Gate.liveness).where(Gate.id == gate_id)) or "enforce"
        cached = _modes[gate_id] = (now, mode)
    return cached[1]


def rules_for_gate(config: Mapping, gate_id: int) -> DecisionRules:
    """The configured decision rules for gate_id: a gate whose liveness is off decides without waiting for it."""
    rules = DecisionRules.from_config(config)
    return replace(rules, liveness=None) if liveness_mode(gate_id) == "off" else rules
