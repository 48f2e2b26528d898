"""A gate's state folded from its events: decisions, presence, the lock (timed unlocks, hold-open, lockdown), the
door contact and alarms; unknown types change nothing but last_event."""

from __future__ import annotations

from app.integrations.gate_state import fold_event, initial_state, relock_if_due

AT = "2026-11-30T08:00:00+00:00"
AT_EPOCH = 1796025600.0


def fold(*kinds: str, **fields) -> dict:
    state = initial_state()
    for kind in kinds:
        state = fold_event(state, {"type": kind, "timestamp": AT, **fields}, relock_s=5.0)
    return state


def test_decisions_name_the_last_person_and_decision() -> None:
    assert (fold("granted", name="Ada Lovelace")["last_person"], fold("granted")["last_decision"]) == (
        "Ada Lovelace", "granted")  # fmt: skip
    stranger = fold("granted", "stranger")
    assert (stranger["last_person"], stranger["last_decision"]) == ("stranger", "stranger")
    assert fold("spoof", name="Ada Lovelace")["last_decision"] == "spoof"


def test_timed_unlocks_relock_and_a_hold_open_waits_for_its_end() -> None:
    for kind in ("granted", "exit_pressed", "remote_unlock"):
        state = fold(kind)
        assert state["lock"] == "unlocked" and state["relock_at"] == AT_EPOCH + 5.0
        assert relock_if_due(state, AT_EPOCH + 4.9) is None
        assert relock_if_due(state, AT_EPOCH + 5.0)["lock"] == "locked"
    held = fold("hold_open")
    assert held["lock"] == "unlocked" and relock_if_due(held, AT_EPOCH + 10**6) is None
    assert fold("hold_open", "hold_open_ended")["lock"] == "locked"
    assert fold("granted", "lockdown")["lock"] == "locked" and fold("lockdown")["relock_at"] is None


def test_the_door_contact_alarms_and_presence() -> None:
    assert fold("door_opened")["door"] == "open" and fold("door_opened", "door_closed")["door"] == "closed"
    forced = fold("door_forced_open")
    assert (forced["alarm"], forced["door"]) == ("on", "open")
    assert fold("door_held_open")["alarm"] == "on"
    assert fold("door_forced_open", "door_closed")["alarm"] == "on"  # an alarm stays until acknowledged
    assert fold("door_forced_open", "alarm_acknowledged")["alarm"] == "off"
    assert fold("gate_online")["online"] == "online" and fold("gate_online", "gate_offline")["online"] == "offline"


def test_an_unknown_type_changes_only_last_event() -> None:
    before = fold("granted", name="Ada Lovelace")
    after = fold_event(before, {"type": "elevator_called", "timestamp": "later"}, relock_s=5.0)
    assert after == {**before, "last_event": "elevator_called", "updated_at": "later"}
