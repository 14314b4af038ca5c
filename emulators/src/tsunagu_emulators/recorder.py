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
    # LINE API calls other than push (link tokens, rich menus), and the emulator's LINE state.
    calls: list[dict[str, Any]] = field(default_factory=list)
    line_link_tokens: dict[str, str] = field(default_factory=dict)
    line_rich_menus: dict[str, dict] = field(default_factory=dict)
    line_user_menus: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, provider: Provider, **details: Any) -> dict[str, Any]:
        entry = {"provider": provider, "received_at": time.time(), **details}
        with self._lock:
            self.messages.append(entry)
        return entry

    def record_call(self, provider: Provider, method: str, **details: Any) -> None:
        """An API call that is not a message (e.g. LINE issue_link_token, link_rich_menu)."""
        with self._lock:
            self.calls.append({"provider": provider, "method": method, "at": time.time(), **details})

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c for c in self.calls if c["method"] == method]

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
            self.calls.clear()
            self.line_link_tokens.clear()
            self.line_user_menus.clear()
            self.twilio_callback_status = "delivered"

    def sent(self, provider: Provider | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.messages if provider is None or m["provider"] == provider]
