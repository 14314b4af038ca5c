"""The events handlers on in-memory adapters (the ports `EventRepository`, `RegistrationRepository`,
`InterestRepository` and the projection): seats, the waitlist, registering again, check-in and mutual
interest — without a database. The fakes keep the real adapters' guarantees the handlers rely on: a
ledger version is taken once (a change decided on an old version is refused), one registration per
student and event, a check-in code works once, a match is recorded once. Each fake method yields to the
event loop like a round trip would, so requests started together interleave. The same paths run on the
real stack in tests/integration."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from tsunagu_events.adapters.registrations_repository import RegistrationExists
from tsunagu_events.domain.model import (
    Actor,
    AlreadyRegistered,
    DomainError,
    Event,
    EventCreate,
    Interest,
    NotRegistered,
    Registration,
    status_of,
    waitlist_position,
)
from tsunagu_events.handlers import EventsHandlers, UnknownCode
from tsunagu_shared.clock import SettableClock
from tsunagu_shared.envelope import Envelope

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
STARTS = NOW + timedelta(days=3)
ADMIN = Actor(role="admin", subject="admin-1")
STAFF = Actor(role="recruiter", subject="rec-1", company_id="comp-a")


async def round_trip() -> None:
    await asyncio.sleep(0)


class InMemoryEvents:
    """`EventRepository`: fixed details plus numbered ledger versions; `commit` stores a version only if
    nobody took that number first (the Mongo one inserts `<event id>:<version>` against its unique `_id`)."""

    def __init__(self) -> None:
        self.details: dict[str, Event] = {}
        self.versions: dict[str, dict[int, Event]] = {}
        self.published: list[Envelope] = []

    async def add(self, event: Event, *events: Envelope) -> None:
        await round_trip()
        self.details[event.event_id] = event
        self.versions[event.event_id] = {}
        self.published.extend(events)

    async def get(self, event_id: str) -> Event | None:
        await round_trip()
        if event_id not in self.details:
            return None
        versions = self.versions[event_id]
        return versions[max(versions)] if versions else self.details[event_id]

    async def commit(self, event: Event, *events: Envelope) -> bool:
        await round_trip()
        versions = self.versions[event.event_id]
        if event.version in versions:
            return False
        versions[event.version] = event
        self.published.extend(events)
        return True

    async def prune(self, event_id: str, below_version: int) -> None:
        await round_trip()


class InMemoryRegistrations:
    """`RegistrationRepository`: one registration per (event, student) — a second `add` raises
    `RegistrationExists`; a check-in is recorded once per registration (`check_in` then answers False)."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], Registration] = {}
        self.attended: dict[str, datetime] = {}
        self.published: list[Envelope] = []

    def _with_attendance(self, registration: Registration | None) -> Registration | None:
        if registration is None:
            return None
        return registration.model_copy(update={"attended_at": self.attended.get(registration.registration_id)})

    async def add(self, registration: Registration) -> None:
        await round_trip()
        key = (registration.event_id, registration.candidate_id)
        if key in self.by_key:
            raise RegistrationExists(registration.event_id)
        self.by_key[key] = registration

    async def find(self, event_id: str, candidate_id: str) -> Registration | None:
        await round_trip()
        return self._with_attendance(self.by_key.get((event_id, candidate_id)))

    async def by_code(self, event_id: str, code: str) -> Registration | None:
        await round_trip()
        found = [r for (e, _), r in self.by_key.items() if e == event_id and r.check_in_code == code]
        return self._with_attendance(found[0] if found else None)

    async def of_event(self, event: Event) -> list[Registration]:
        holders = [s.candidate_id for s in event.seats.values()] + [w.candidate_id for w in event.waitlist.values()]
        found = [await self.find(event.event_id, c) for c in holders]
        return [r for r in found if r is not None]

    async def of_candidate(self, candidate_id: str) -> list[Registration]:
        await round_trip()
        return [r for (_, c), r in self.by_key.items() if c == candidate_id]

    async def remove(self, registration: Registration) -> None:
        await round_trip()
        key = (registration.event_id, registration.candidate_id)
        stored = self.by_key.get(key)
        if stored is not None and stored.registration_id == registration.registration_id:
            del self.by_key[key]

    async def check_in(self, registration: Registration, now: datetime, *events: Envelope) -> bool:
        await round_trip()
        if registration.registration_id in self.attended:
            return False
        self.attended[registration.registration_id] = now
        self.published.extend(events)
        return True

    async def erase(self, registration: Registration) -> None:
        self.attended.pop(registration.registration_id, None)
        await self.remove(registration)

    async def forget(self, candidate_id: str) -> None:
        await round_trip()


class InMemoryInterests:
    """`InterestRepository`: a mark per side (marking twice changes nothing), a match recorded once."""

    def __init__(self) -> None:
        self.marks: set[tuple[str, str, str, str]] = set()
        self.recorded: dict[tuple[str, str, str], Interest] = {}
        self.published: list[Envelope] = []

    @staticmethod
    def _key(interest: Interest) -> tuple[str, str, str]:
        return interest.event_id, interest.company_id, interest.candidate_id

    async def mark(self, interest: Interest, side: str, now: datetime) -> None:
        await round_trip()
        self.marks.add((*self._key(interest), side))

    async def marked(self, interest: Interest, side: str) -> bool:
        await round_trip()
        return (*self._key(interest), side) in self.marks

    async def record_match(self, interest: Interest, *events: Envelope) -> bool:
        await round_trip()
        if self._key(interest) in self.recorded:
            return False
        self.recorded[self._key(interest)] = interest
        self.published.extend(events)
        return True

    async def matches(self, event_id: str, *, company_id: str | None = None,
                      candidate_id: str | None = None) -> list[Interest]:
        await round_trip()
        return [i for i in self.recorded.values() if i.event_id == event_id
                and (company_id is None or i.company_id == company_id)
                and (candidate_id is None or i.candidate_id == candidate_id)]

    async def erase_candidate(self, candidate_id: str) -> None:
        await round_trip()
        self.marks = {m for m in self.marks if m[2] != candidate_id}
        self.recorded = {k: v for k, v in self.recorded.items() if k[2] != candidate_id}


class NoIndex:
    """The projection: only told which events changed (the events index is not under test here)."""

    def __init__(self) -> None:
        self.projected: list[str] = []

    async def project_quietly(self, ids: list[str], *, refresh: str | None = None) -> None:
        self.projected.extend(ids)


class Stack:
    def __init__(self) -> None:
        self.clock = SettableClock(NOW, frozen=True)
        self.events = InMemoryEvents()
        self.registrations = InMemoryRegistrations()
        self.interests = InMemoryInterests()
        self.handlers = EventsHandlers(events=self.events, registrations=self.registrations,
                                       interests=self.interests, projection=NoIndex(),  # type: ignore[arg-type]
                                       clock=self.clock)

    async def an_event(self, capacity: int) -> str:
        data = EventCreate(title="Matching night", starts_at=STARTS, time_zone="Asia/Tokyo", venue="Hall",
                           capacity=capacity, company_ids=["comp-a"])
        return (await self.handlers.publish_event(actor=ADMIN, data=data)).event_id

    async def register_in_turn(self, event_id: str, *students: str) -> None:
        """One after the other, a minute apart (the waitlist is in the order students joined it)."""
        for student in students:
            self.clock.advance(minutes=1)
            await self.handlers.register(event_id=event_id, candidate_id=student)

    async def status(self, event_id: str, candidate_id: str) -> str:
        try:
            event, registration = await self.handlers.my_registration(event_id=event_id, candidate_id=candidate_id)
        except NotRegistered:
            return "not registered"
        return status_of(event, registration.registration_id)

    def seat_notices(self) -> list[tuple[str, str]]:
        """(student, status) of every EventRegistered that went out, in order."""
        facts = [e.event() for e in self.events.published if e.type == "EventRegistered"]
        return [(f.candidate_id, f.status) for f in facts]  # type: ignore[attr-defined]


async def test_a_seat_while_one_is_free_then_the_waitlist_in_order():
    stack = Stack()
    event_id = await stack.an_event(capacity=1)
    await stack.register_in_turn(event_id, "hana", "aiko", "mei")
    assert [await stack.status(event_id, s) for s in ("hana", "aiko", "mei")] == [
        "registered", "waitlisted", "waitlisted"]
    event, mei = await stack.handlers.my_registration(event_id=event_id, candidate_id="mei")
    assert waitlist_position(event, mei.registration_id) == 2
    assert stack.seat_notices() == [("hana", "registered"), ("aiko", "waitlisted"), ("mei", "waitlisted")]


async def test_two_students_racing_for_the_last_seat_one_gets_it_and_the_other_waits():
    stack = Stack()
    event_id = await stack.an_event(capacity=1)
    await asyncio.gather(stack.handlers.register(event_id=event_id, candidate_id="hana"),
                         stack.handlers.register(event_id=event_id, candidate_id="aiko"))
    statuses = sorted([await stack.status(event_id, "hana"), await stack.status(event_id, "aiko")])
    assert statuses == ["registered", "waitlisted"]
    event = await stack.handlers.get_event(event_id=event_id)
    assert event.seats_taken == 1 and event.waitlist_count == 1
    # only the stored decisions were announced: one seat, one waitlist place
    assert sorted(status for _, status in stack.seat_notices()) == ["registered", "waitlisted"]


async def test_a_cancellation_moves_the_first_waiting_student_up_and_only_her():
    stack = Stack()
    event_id = await stack.an_event(capacity=1)
    await stack.register_in_turn(event_id, "hana", "aiko", "mei")
    await stack.handlers.cancel_registration(event_id=event_id, candidate_id="hana")
    assert await stack.status(event_id, "hana") == "not registered"
    assert await stack.status(event_id, "aiko") == "registered"
    assert await stack.status(event_id, "mei") == "waitlisted"
    assert stack.seat_notices()[-1] == ("aiko", "promoted")
    with pytest.raises(NotRegistered):
        await stack.handlers.cancel_registration(event_id=event_id, candidate_id="hana")


async def test_two_seat_holders_cancelling_at_once_promote_two_different_students():
    stack = Stack()
    event_id = await stack.an_event(capacity=2)
    await stack.register_in_turn(event_id, "hana", "aiko", "mei", "yui", "rin")
    await asyncio.gather(stack.handlers.cancel_registration(event_id=event_id, candidate_id="hana"),
                         stack.handlers.cancel_registration(event_id=event_id, candidate_id="aiko"))
    assert [await stack.status(event_id, s) for s in ("mei", "yui", "rin")] == [
        "registered", "registered", "waitlisted"]
    assert sorted(s for s, status in stack.seat_notices() if status == "promoted") == ["mei", "yui"]


async def test_registering_twice_is_refused_and_a_double_tap_keeps_one_place():
    stack = Stack()
    event_id = await stack.an_event(capacity=5)
    await stack.handlers.register(event_id=event_id, candidate_id="hana")
    with pytest.raises(AlreadyRegistered):
        await stack.handlers.register(event_id=event_id, candidate_id="hana")

    answers = await asyncio.gather(stack.handlers.register(event_id=event_id, candidate_id="aiko"),
                                   stack.handlers.register(event_id=event_id, candidate_id="aiko"),
                                   return_exceptions=True)
    for answer in answers:
        assert isinstance(answer, tuple | AlreadyRegistered), answer
    event = await stack.handlers.get_event(event_id=event_id)
    assert [seat.candidate_id for seat in event.seats.values()].count("aiko") == 1
    assert event.seats_taken == 2 and event.waitlist_count == 0


async def test_a_student_who_left_may_register_again_with_a_new_code():
    stack = Stack()
    event_id = await stack.an_event(capacity=1)
    _, first = await stack.handlers.register(event_id=event_id, candidate_id="hana")
    await stack.handlers.cancel_registration(event_id=event_id, candidate_id="hana")
    _, again = await stack.handlers.register(event_id=event_id, candidate_id="hana")
    assert await stack.status(event_id, "hana") == "registered"
    assert again.registration_id != first.registration_id and again.check_in_code != first.check_in_code
    stack.clock.set(STARTS - timedelta(hours=1))
    with pytest.raises(UnknownCode):  # the code of the place she gave up no longer works
        await stack.handlers.check_in(event_id=event_id, code=first.check_in_code, actor=STAFF)


async def test_a_check_in_code_works_once_and_only_in_its_window():
    stack = Stack()
    event_id = await stack.an_event(capacity=1)
    _, hana = await stack.handlers.register(event_id=event_id, candidate_id="hana")
    with pytest.raises(DomainError, match="check-in is open"):
        await stack.handlers.check_in(event_id=event_id, code=hana.check_in_code, actor=STAFF)

    stack.clock.set(STARTS - timedelta(minutes=30))
    checked = await stack.handlers.check_in(event_id=event_id, code=hana.check_in_code, actor=STAFF)
    assert checked.attended_at == STARTS - timedelta(minutes=30)
    with pytest.raises(DomainError, match="already used"):
        await stack.handlers.check_in(event_id=event_id, code=hana.check_in_code, actor=STAFF)
    _, present = await stack.handlers.attendance(event_id=event_id, actor=STAFF)
    assert [(r.candidate_id, r.attended_at) for r in present] == [("hana", STARTS - timedelta(minutes=30))]
    assert [e.type for e in stack.registrations.published] == ["EventAttended"]


async def test_a_waitlisted_student_cannot_check_in_and_nobody_checks_in_with_another_s_code():
    stack = Stack()
    event_id = await stack.an_event(capacity=1)
    _, hana = await stack.handlers.register(event_id=event_id, candidate_id="hana")
    _, aiko = await stack.handlers.register(event_id=event_id, candidate_id="aiko")
    stack.clock.set(STARTS)
    with pytest.raises(DomainError, match="only students holding a seat"):
        await stack.handlers.check_in(event_id=event_id, code=aiko.check_in_code, actor=STAFF)
    with pytest.raises(UnknownCode):
        await stack.handlers.check_in(event_id=event_id, code=hana.check_in_code,
                                      actor=Actor(role="candidate", subject="aiko"))


async def checked_in_hana(stack: Stack) -> tuple[str, dict[str, str]]:
    event_id = await stack.an_event(capacity=1)
    _, hana = await stack.handlers.register(event_id=event_id, candidate_id="hana")
    stack.clock.set(STARTS)
    await stack.handlers.check_in(event_id=event_id, code=hana.check_in_code, actor=STAFF)
    return event_id, {"event_id": event_id, "company_id": "comp-a", "candidate_id": "hana"}


async def test_interest_marked_by_both_sides_is_one_match_announced_once():
    stack = Stack()
    event_id, mark = await checked_in_hana(stack)
    hana = Actor(role="candidate", subject="hana")
    first = await stack.handlers.mark_interest(actor=hana, **mark)
    assert first.matched_at is None
    assert await stack.handlers.matches(event_id=event_id, actor=hana) == []
    answers = await asyncio.gather(*(stack.handlers.mark_interest(actor=STAFF, **mark) for _ in range(3)))
    assert {a.matched_at for a in answers} == {STARTS}
    mine = await stack.handlers.matches(event_id=event_id, actor=hana)
    assert [(m.company_id, m.matched_at) for m in mine] == [("comp-a", STARTS)]
    assert [e.type for e in stack.interests.published] == ["MutualInterestMatched"]


async def test_interest_is_matched_when_the_company_marked_first_too():
    stack = Stack()
    _, mark = await checked_in_hana(stack)
    await stack.handlers.mark_interest(actor=STAFF, **mark)
    second = await stack.handlers.mark_interest(actor=Actor(role="candidate", subject="hana"), **mark)
    assert second.matched_at == STARTS


async def test_a_deleted_profile_frees_her_seat_for_the_next_student_and_forgets_her():
    stack = Stack()
    event_id = await stack.an_event(capacity=1)
    await stack.handlers.register(event_id=event_id, candidate_id="hana")
    await stack.handlers.register(event_id=event_id, candidate_id="aiko")
    await stack.handlers.forget_candidate(candidate_id="hana")
    await stack.handlers.forget_candidate(candidate_id="hana")  # run again: nothing more happens
    assert await stack.status(event_id, "aiko") == "registered"
    assert await stack.status(event_id, "hana") == "not registered"
    event = await stack.handlers.get_event(event_id=event_id)
    assert "hana" not in event.candidate_ids()
    assert [s for s, status in stack.seat_notices() if status == "promoted"] == ["aiko"]
