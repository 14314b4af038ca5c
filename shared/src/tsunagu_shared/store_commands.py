"""A record of how a process addresses the document store: every command that selects documents
(find, update, delete, count, distinct, findAndModify, aggregate), with its collection and filter.

Off unless `TSUNAGU_STORE_COMMAND_LOG` names a file: then each client made by `db.connect`
appends one JSON line per selecting command (bson's extended JSON, so dates and ids survive).
The end-to-end guard (`tests/e2e/test_e2e_store_by_id.py`) turns it on to find any filter that
is not by `_id`: FerretDB 1.x serves an `_id` equality from its index and decodes the whole
collection for anything else, so such a filter on a collection that grows with the season is a
scan that grows with it. Operators can turn it on to see what a slow process asks the store.
"""

import os
import threading
from collections.abc import Mapping
from typing import Any

from bson import ObjectId, json_util
from pymongo import monitoring

LOG_VARIABLE = "TSUNAGU_STORE_COMMAND_LOG"

# command name → the field holding its filter (update and delete hold a list of statements)
_FILTER_FIELD = {"find": "filter", "count": "query", "distinct": "query", "findAndModify": "query"}
_STATEMENTS = {"update": "updates", "delete": "deletes"}


def selections(name: str, command: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The documents this command selects, one entry per filter: `{command, collection, filter}`
    (and `sort` for a find); nothing for commands that select no stored documents (insert, …)."""
    collection = command.get(name)
    if name in _FILTER_FIELD:
        entry = {"command": name, "collection": collection, "filter": command.get(_FILTER_FIELD[name]) or {}}
        if name == "find" and command.get("sort"):
            entry["sort"] = command["sort"]
        return [entry]
    if name in _STATEMENTS:
        return [{"command": name, "collection": collection, "filter": s.get("q") or {}}
                for s in command.get(_STATEMENTS[name], [])]
    if name == "aggregate":
        stages = command.get("pipeline") or []
        first = stages[0].get("$match", {}) if stages else {}
        return [{"command": name, "collection": collection, "filter": first, "pipeline": stages}]
    return []


def by_id(selection: dict[str, Any]) -> bool:
    """Whether the store can answer this selection from its `_id` index: an equality on `_id`
    (FerretDB then re-checks the rest of the filter on that one document). `$in` and ranges on
    `_id` are not served from the index by FerretDB 1.x: they decode the collection."""
    return isinstance(selection["filter"].get("_id"), (str, ObjectId))


class CommandLog(monitoring.CommandListener):
    """Appends each selecting command to a file shared by every process of a run (one line
    each, written whole under a lock: lines from several processes interleave, never mix)."""

    def __init__(self, path: str) -> None:
        self._file = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (lives as long as the client)
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        for selection in selections(event.command_name, event.command):
            line = json_util.dumps({**selection, "db": event.database_name, "pid": self._pid})
            with self._lock:
                self._file.write(line + "\n")

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def listeners() -> list[monitoring.CommandListener]:
    """The listeners a new client gets: a CommandLog when the variable names a file, else none."""
    path = os.environ.get(LOG_VARIABLE)
    return [CommandLog(path)] if path else []


def read(path: str, offset: int = 0) -> list[dict[str, Any]]:
    """The selections written to `path` from byte `offset` on."""
    with open(path, encoding="utf-8") as file:
        file.seek(offset)
        return [json_util.loads(line) for line in file if line.strip()]
