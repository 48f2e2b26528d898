"""A gate's state as integrations show it (last person seen, last decision, lock, online, alarm), folded from its
events in stream order: the same events in the same order always give the same state, so a replay is harmless.

Unknown event types leave the state as it is (they still reach the event topic and webhooks): a new kind of event
needs a line here only to change one of these fields.
"""

from __future__ import annotations

from datetime import datetime

# Decisions about a face at the gate (a liveness `spoof` too).
DECISION_TYPES = ("granted", "denied", "stranger", "spoof")
ONLINE_BY_TYPE = {"gate_online": "online", "gate_offline": "offline"}
# The door's lock, from what facegate itself commands: a grant, an exit button press or a remote unlock opens it for
# the gate's open time (relocked after relock_s); a hold-open keeps it open until it ends.
LOCK_BY_TYPE = {
    "granted": "unlocked",
    "exit_pressed": "unlocked",
    "remote_unlock": "unlocked",
    "hold_open": "unlocked",
    "hold_open_ended": "locked",
    "lockdown": "locked",
    "lockdown_released": "locked",
}
TIMED_UNLOCKS = ("granted", "exit_pressed", "remote_unlock")
# The door itself, from the gate's door contact (when it has one).
DOOR_BY_TYPE = {"door_opened": "open", "door_forced_open": "open", "door_held_open": "open", "door_closed": "closed"}
ALARM_ON_WORDS = ("alarm", "forced", "held_open")
ALARM_OFF_WORDS = ("acknowledged", "cleared", "resolved", "released")


def initial_state() -> dict:
    """The state of a gate nothing is known about yet."""
    return {
        "last_person": None,
        "last_decision": None,
        "last_event": None,
        "lock": "locked",
        "door": "closed",
        "online": "offline",
        "alarm": "off",
        "updated_at": None,
        "relock_at": None,
    }


def _alarm(kind: str) -> str | None:
    if any(word in kind for word in ALARM_OFF_WORDS):
        return "off" if "alarm" in kind else None
    return "on" if any(word in kind for word in ALARM_ON_WORDS) else None


def _epoch(timestamp: object) -> float | None:
    try:
        return datetime.fromisoformat(str(timestamp)).timestamp()
    except ValueError:
        return None


def fold_event(state: dict, event: dict, relock_s: float) -> dict:
    """The gate's state after event (a timed unlock relocks relock_s seconds after its timestamp)."""
    kind = str(event.get("type"))
    new = {**state, "last_event": kind, "updated_at": event.get("timestamp")}
    if kind in DECISION_TYPES:
        new["last_decision"] = kind
        new["last_person"] = event.get("name") or kind
    if kind in ONLINE_BY_TYPE:
        new["online"] = ONLINE_BY_TYPE[kind]
    if kind in LOCK_BY_TYPE:
        new["lock"] = LOCK_BY_TYPE[kind]
        unlocked_at = _epoch(event.get("timestamp")) if kind in TIMED_UNLOCKS else None
        new["relock_at"] = unlocked_at + relock_s if unlocked_at is not None else None
    if kind in DOOR_BY_TYPE:
        new["door"] = DOOR_BY_TYPE[kind]
    alarm = _alarm(kind)
    if alarm is not None:
        new["alarm"] = alarm
    return new


def relock_if_due(state: dict, now: float) -> dict | None:
    """The state with the lock closed again if a grant's open time is over; None when nothing changes."""
    if state.get("relock_at") is None or now < state["relock_at"]:
        return None
    return {**state, "lock": "locked", "relock_at": None}
