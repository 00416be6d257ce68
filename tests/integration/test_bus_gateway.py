"""The embedded gateway's own tests, run again with the gateway publishing to NATS JetStream
and a worker writing (``run_gateway`` swapped for ``bus_support.run_over_bus``, which returns
once the worker has written every published batch, so the same assertions on the database
hold). Left out: tests that replace the write or kill the writer process (the bus has its own
in ``test_bus.py`` and ``test_bus_faults.py``), parametrized ones, and one that compares the
archive's order across devices."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import ModuleType

import pytest

from ecoradar.bootstrap import Container
from tests.integration import (
    test_gateway,
    test_gateway_durability,
    test_gateway_exchanges,
    test_gateway_limits,
)
from tests.integration.bus_support import run_over_bus
from tests.integration.test_gateway import devices

__all__ = ["devices"]  # the fixture, shared with test_gateway

NOT_OVER_THE_BUS = {
    "test_an_answer_is_sent_only_after_the_packet_is_in_the_database",  # replaces the write
    "test_a_packet_whose_write_failed_is_not_answered",  # replaces the write
    "test_a_writer_process_that_died_is_replaced_and_nothing_is_lost",  # no writer process
    "test_devices_spread_over_two_writers_are_each_stored_in_order",  # no writer process
    # compares the archive's order across devices; the bus keeps each device's order (its
    # partition's), not the order between devices of different partitions
    "test_refused_frames_beyond_the_archive_limit_per_address_are_counted_not_archived",
}
MODULES: list[ModuleType] = [
    test_gateway,
    test_gateway_durability,
    test_gateway_exchanges,
    test_gateway_limits,
]
CASES: list[tuple[ModuleType, Callable[..., None]]] = [
    (module, function)
    for module in MODULES
    for name, function in vars(module).items()
    if name.startswith("test_")
    and inspect.getmodule(function) is module
    and name not in NOT_OVER_THE_BUS
    and not hasattr(function, "pytestmark")  # parametrized: its parameters are its own
    and "run_gateway" in inspect.getsource(function)
]


@pytest.mark.parametrize("case", CASES, ids=[function.__name__[5:] for _, function in CASES])
def test_over_the_bus(
    case: tuple[ModuleType, Callable[..., None]],
    container: Container,  # each backend (the case's own fixtures build on it)
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module, function = case
    monkeypatch.setattr(module, "run_gateway", run_over_bus)
    arguments = {
        name: request.getfixturevalue(name) for name in inspect.signature(function).parameters
    }
    function(**arguments)
