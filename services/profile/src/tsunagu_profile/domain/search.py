"""Recruiter search: filters, sort orders and opaque cursors (keyset pagination)."""

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tsunagu_shared.moments import within_range

from tsunagu_profile.domain.errors import InvalidField
from tsunagu_profile.domain.model import Stage

# Sort name -> stored field, newest first; ties are broken by candidate id ascending.
SORTS: dict[str, str] = {"last_active": "last_active_at", "newest": "created_at"}
SortName = Literal["last_active", "newest"]


@dataclass(frozen=True)
class SearchFilters:
    industry: str | None = None
    graduation_year: int | None = None
    school: str | None = None
    location: str | None = None
    stage: Stage | None = None
    personality_type: str | None = None
    has_photo: bool | None = None
    active_since: datetime | None = None
    # words looked for in her self-PR and job types (Japanese or not)
    text: str | None = None


@dataclass(frozen=True)
class Cursor:
    """The position after the last profile of a page: its sort value and its id."""

    sort: str
    value: datetime
    candidate_id: str

    def encode(self) -> str:
        raw = json.dumps({"s": self.sort, "v": self.value.isoformat(), "i": self.candidate_id})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, *, sort: str) -> "Cursor":
        """Read a cursor given back by a client; it must come from the same sort order."""
        try:
            raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            cursor = cls(sort=raw["s"], value=within_range(datetime.fromisoformat(raw["v"])),
                         candidate_id=str(raw["i"]))
        except (ValueError, KeyError, TypeError, RecursionError):
            raise InvalidField(("query", "cursor"), "not a cursor returned by this search") from None
        if cursor.sort != sort:
            raise InvalidField(("query", "cursor"), "the cursor belongs to another sort order")
        return cursor
