"""An event as everyone may see it, with its times in UTC and in its own zone: what the API answers and
what the upcoming-events index stores (the other API models are in entrypoints/schemas.py)."""

from datetime import datetime

from pydantic import BaseModel, Field

from tsunagu_events.domain.model import Event, EventStatus, Kind, local_time


class EventPublic(BaseModel):
    """An event as everyone signed in sees it (never who registered)."""

    event_id: str
    kind: Kind
    title: str
    starts_at: datetime = Field(description="UTC")
    starts_at_local: datetime = Field(description="the same moment with the offset of time_zone")
    time_zone: str
    registration_closes_at: datetime = Field(description="UTC")
    venue: str | None
    online_url: str | None
    capacity: int
    seats_taken: int
    seats_left: int
    waitlist_count: int
    company_ids: list[str]
    organizer_company_id: str | None
    status: EventStatus
    published_at: datetime
    cancelled_at: datetime | None

    @classmethod
    def of(cls, event: Event) -> "EventPublic":
        return cls(
            **event.model_dump(exclude={"seats", "waitlist", "left", "version", "published_by"}),
            starts_at_local=local_time(event.starts_at, event.time_zone),
            seats_taken=event.seats_taken,
            seats_left=max(event.capacity - event.seats_taken, 0),
            waitlist_count=event.waitlist_count,
        )
