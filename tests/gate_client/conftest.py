"""Fixtures of tests/gate_client: gpiozero mock pins, the gate hardware on them, a gate on the real server."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import pytest
from gpiozero.pins.mock import MockFactory

import testkit.processes
from gate_client.hardware import GateHardware

GREEN, RED, RELAY = 17, 27, 22


@pytest.fixture()
def pins() -> Iterator[MockFactory]:
    """A fresh gpiozero MockFactory (its pins record every level change with a timestamp)."""
    factory = MockFactory()
    yield factory
    factory.reset()


@pytest.fixture()
def hardware(pins: MockFactory) -> Iterator[GateHardware]:
    """The gate's LEDs and relay (active high) on mock pins: green 17, red 27, relay 22."""
    gate = GateHardware(GREEN, RED, RELAY, relay_active_low=False, pin_factory=pins)
    yield gate
    gate.close()


def _wait_for(predicate: Callable[[], object], timeout: float, interval: float = 0.02) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture()
def wait_for() -> Callable[..., object]:
    """wait_for(predicate, timeout): poll until predicate() is truthy (returned) or fail after timeout seconds."""
    return _wait_for


@pytest.fixture()
def free_port() -> Callable[[], int]:
    """free_port(): a TCP port on 127.0.0.1 that nothing listens on right now."""
    return testkit.processes.free_port


@pytest.fixture(autouse=True)
def _gate_client_logging_enabled() -> None:
    """Re-enable the gate_client loggers, which the migrations' logging.config.fileConfig disables."""
    for name, logger in logging.Logger.manager.loggerDict.items():
        if name.startswith("gate_client") and isinstance(logger, logging.Logger):
            logger.disabled = False
