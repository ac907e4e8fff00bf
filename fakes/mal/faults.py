"""Faults a :class:`~fakes.mal.FakeMal` can be told to answer with, and the queue that holds them.

Each fault is consumed by the next ``times`` requests whose path+query contains ``match`` (or
by any request when ``match`` is None), in the order injected; the server turns the fault it
takes into a response (:mod:`fakes.mal.server`).
"""

from __future__ import annotations

from dataclasses import dataclass

FAULT_KINDS = frozenset(
    {
        "rate_limit",
        "server_error",
        "slow",
        "truncated_json",
        "malformed_json",
        "without_data",
        "throttle",
        "disconnect",
    }
)


@dataclass
class Fault:
    kind: str
    times: int
    match: str | None = None
    retry_after: str | None = None
    delay: float = 0.0
    status: int = 500


class FaultInjection:
    """The fault-injection half of the fake's harness API (a mixin of ``FakeMal``)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def inject(
        self,
        kind: str,
        *,
        times: int = 1,
        match: str | None = None,
        retry_after: str | None = None,
        delay: float = 0.0,
        status: int = 500,
    ) -> None:
        """Queue a fault of ``kind`` (one of :data:`FAULT_KINDS`) for the next matching requests."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        self._faults.append(Fault(kind, times, match, retry_after, delay, status))

    def rate_limit(self, times: int = 1, retry_after: str | None = "1", match: str | None = None):
        self.inject("rate_limit", times=times, retry_after=retry_after, match=match)

    def server_error(self, times: int = 1, status: int = 500, match: str | None = None) -> None:
        self.inject("server_error", times=times, status=status, match=match)

    def slow(self, delay: float, times: int = 1, match: str | None = None) -> None:
        self.inject("slow", times=times, delay=delay, match=match)

    def truncated_json(self, times: int = 1, match: str | None = None) -> None:
        self.inject("truncated_json", times=times, match=match)

    def malformed_json(self, times: int = 1, match: str | None = None) -> None:
        self.inject("malformed_json", times=times, match=match)

    def without_data(self, times: int = 1, match: str | None = None) -> None:
        self.inject("without_data", times=times, match=match)

    def throttle(self, times: int = 1, match: str | None = None) -> None:
        self.inject("throttle", times=times, match=match)

    def disconnect(self, times: int = 1, match: str | None = None) -> None:
        self.inject("disconnect", times=times, match=match)

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def pending_faults(self) -> list[Fault]:
        """Injected faults not yet met by a request."""
        return list(self._faults)

    def _take_fault(self, target: str) -> Fault | None:
        for fault in self._faults:
            if fault.match is None or fault.match in target:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None
