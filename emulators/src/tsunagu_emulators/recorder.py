"""What the emulators received, and the faults they were told to inject."""

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

Provider = Literal["twilio", "line", "email"]
Mode = Literal["429", "error", "permanent"]


@dataclass
class Fault:
    """The next `count` requests to `provider` fail this way."""

    provider: Provider
    mode: Mode
    count: int = 1
    retry_after: int = 1


@dataclass
class Recorder:
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    # Twilio status callbacks: post "delivered" (or this status) after each accepted SMS.
    twilio_callback_status: str | None = "delivered"
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, provider: Provider, **details: Any) -> dict[str, Any]:
        entry = {"provider": provider, "received_at": time.time(), **details}
        with self._lock:
            self.messages.append(entry)
        return entry

    def saw_request(self, provider: Provider, outcome: str, **details: Any) -> None:
        with self._lock:
            self.requests.append({"provider": provider, "outcome": outcome, "at": time.time(), **details})

    def take_fault(self, provider: Provider) -> Fault | None:
        """Consume one injected failure for this provider, if any is pending."""
        with self._lock:
            for fault in self.faults:
                if fault.provider == provider and fault.count > 0:
                    fault.count -= 1
                    return fault
        return None

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self.requests.clear()
            self.faults.clear()
            self.twilio_callback_status = "delivered"

    def sent(self, provider: Provider | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.messages if provider is None or m["provider"] == provider]
