"""The door's pins over time on gpiozero's MockFactory: relay and green LED while open, red blinks, fail closed."""

from __future__ import annotations

import time

from gpiozero.pins.mock import MockFactory

from gate_client.hardware import REFUSAL_BLINK_S, REFUSAL_BLINKS, GateHardware, make_pin_factory

GREEN, RED, RELAY = 17, 27, 22  # as in the `hardware` fixture


def levels(pins: MockFactory, number: int) -> list[bool]:
    """The levels pin `number` went through, oldest first."""
    return [state.state for state in pins.pin(number).states]


def test_granted_energises_the_relay_and_green_led_for_the_open_time(pins, hardware, wait_for) -> None:
    hardware.open_door(0.5)
    assert pins.pin(RELAY).state and pins.pin(GREEN).state and hardware.door_open
    wait_for(lambda: not pins.pin(RELAY).state, timeout=3)
    assert not pins.pin(GREEN).state and not hardware.door_open
    assert levels(pins, RELAY) == [False, True, False]
    on_for = pins.pin(RELAY).states[2].timestamp
    assert 0.45 <= on_for <= 2.0, f"relay was on for {on_for:.2f} s, expected about 0.5 s"
    assert levels(pins, RED) == [False]


def test_a_second_grant_while_open_extends_the_opening(pins, hardware, wait_for) -> None:
    hardware.open_door(1.0)
    time.sleep(0.5)
    hardware.open_door(1.0)
    wait_for(lambda: not pins.pin(RELAY).state, timeout=5)
    # One opening of at least 0.5 + 1.0 s: the first opening's timer did not close the extended one.
    assert levels(pins, RELAY) == [False, True, False]
    assert pins.pin(RELAY).states[2].timestamp >= 1.45


def test_refusal_blinks_the_red_led_and_leaves_the_relay_alone(pins, hardware, wait_for) -> None:
    hardware.refuse()
    wait_for(lambda: len(pins.pin(RED).states) == 1 + 2 * REFUSAL_BLINKS, timeout=5)
    time.sleep(REFUSAL_BLINK_S * 2)
    states = pins.pin(RED).states
    assert [s.state for s in states] == [False] + [True, False] * REFUSAL_BLINKS
    # Each change after the first comes one blink step after the one before it.
    for state in states[2:]:
        assert REFUSAL_BLINK_S * 0.8 <= state.timestamp <= REFUSAL_BLINK_S + 0.5
    assert levels(pins, RELAY) == [False] and levels(pins, GREEN) == [False]


def test_release_closes_at_once_and_close_leaves_the_relay_released(pins, hardware) -> None:
    hardware.open_door(30)
    hardware.release()
    assert not pins.pin(RELAY).state and not pins.pin(GREEN).state
    hardware.open_door(30)
    hardware.close()
    assert levels(pins, RELAY) == [False, True, False, True, False]
    hardware.release()  # after close (e.g. a late SIGTERM): still safe


def test_an_active_low_relay_is_energised_by_a_low_pin() -> None:
    pins = MockFactory()
    try:
        gate = GateHardware(GREEN, RED, RELAY, relay_active_low=True, pin_factory=pins)
        assert pins.pin(RELAY).state, "released means high for an active-low relay"
        gate.open_door(30)
        assert not pins.pin(RELAY).state and gate.door_open
        gate.release()
        assert pins.pin(RELAY).state and not gate.door_open
        gate.close()
    finally:
        pins.reset()


def test_mock_pins_can_log_their_changes_for_another_process(tmp_path) -> None:
    log_file = tmp_path / "pins.jsonl"
    factory = make_pin_factory("mock", log_file)
    gate = GateHardware(GREEN, RED, RELAY, relay_active_low=False, pin_factory=factory)
    try:
        gate.open_door(30)
        gate.release()
    finally:
        gate.close()
    lines = log_file.read_text().splitlines()
    relay = [line for line in lines if f'"GPIO{RELAY}"' in line]
    assert [line.split('"state": ')[1].rstrip("}") for line in relay] == ["1", "0"]


def test_rpigpio_off_a_pi_is_a_clear_error() -> None:
    from gate_client.hardware import PinFactoryError

    try:
        make_pin_factory("rpigpio")
    except PinFactoryError as exc:
        assert "rpigpio pins are not available here" in str(exc)
    else:  # pragma: no cover - only on a real Raspberry Pi
        raise AssertionError("RPi.GPIO worked: this test expects to run off a Raspberry Pi")
