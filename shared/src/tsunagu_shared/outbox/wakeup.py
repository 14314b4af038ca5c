"""Writers wake the relays of their database themselves.

A write that carries events is followed by a wake of every relay of this process that
publishes from the same database, so the events go out at once instead of at the relay's
next poll. Handlers therefore never hold a relay: they write through an `OutboxCollection`,
which wakes. A relay is forgotten when it is garbage-collected.
"""

from typing import Any, Protocol
from weakref import WeakSet

from pymongo.asynchronous.database import AsyncDatabase


class Wakeable(Protocol):
    def wake(self) -> None: ...


# Keyed by the client object and the database name: an `AsyncDatabase` is cheap to build again
# (`client[name]`), so two objects for the same database must reach the same relays.
_relays: dict[tuple[int, str], "WeakSet[Wakeable]"] = {}


def _key(db: AsyncDatabase[Any]) -> tuple[int, str]:
    return id(db.client), db.name


def listen(db: AsyncDatabase[Any], relay: Wakeable) -> None:
    """`relay` publishes from `db`: wake it after writes that carry events."""
    _relays.setdefault(_key(db), WeakSet()).add(relay)


def forget(db: AsyncDatabase[Any], relay: Wakeable) -> None:
    relays = _relays.get(_key(db))
    if relays is not None:
        relays.discard(relay)
        if not relays:
            del _relays[_key(db)]


def wake(db: AsyncDatabase[Any]) -> None:
    """Wake the relays that publish from `db` (none in a process without one: a test or a script)."""
    for relay in list(_relays.get(_key(db), ())):
        relay.wake()
