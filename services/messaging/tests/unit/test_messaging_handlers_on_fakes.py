"""The messaging handlers (`Conversation`, `Scheduling`) on in-memory adapters of their Protocol ports:
who sees a thread, what a message records and publishes, read receipts, the interview and offer flows —
without a database. The fakes keep the real adapters' guarantees the handlers rely on: one message per
`reply_key` (the student's first reply is announced once), an interview `transition` only from the state
it was read in, an offer answered only while open and before its deadline, one open offer per thread, a
question answered once, a lapse recorded once. Each fake method yields to the event loop like a round trip
would, so requests started together interleave. The same paths run on the real stack in tests/integration."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tsunagu_messaging.adapters.records import OpenOfferExists
from tsunagu_messaging.adapters.threads import FirstReplyTaken
from tsunagu_messaging.config import MessagingSettings
from tsunagu_messaging.domain.interviews import Interview, SlotProposal
from tsunagu_messaging.domain.messages import Message
from tsunagu_messaging.domain.offers import Offer, OfferRefused
from tsunagu_messaging.domain.threads import (
    SendingRefused,
    Side,
    StudentCannotStart,
    Thread,
    ThreadNotVisible,
    archived_field,
    unread_field,
)
from tsunagu_messaging.handlers import Conversation, RateLimited, Scheduling
from tsunagu_messaging.handlers.conversation import AlreadyAnswered
from tsunagu_messaging.handlers.scheduling import ChangedMeanwhile
from tsunagu_shared.auth import Principal
from tsunagu_shared.clock import SettableClock
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.testing import InMemoryDueBuckets

NOW = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)
HANA = Principal(subject="hana", role="candidate")
AIKO = Principal(subject="aiko", role="candidate")
SATO = Principal(subject="rec-1", role="recruiter", company_id="comp-a", name="Sato")
OTHER_COMPANY = Principal(subject="rec-9", role="recruiter", company_id="comp-b")


async def round_trip() -> None:
    await asyncio.sleep(0)


class InMemoryThreads:
    """`ThreadRepository`: one thread per (company, student), counters as the Mongo updates keep them."""

    def __init__(self) -> None:
        self.stored: dict[str, Thread] = {}

    def _set(self, thread_id: str, **fields: Any) -> None:
        self.stored[thread_id] = self.stored[thread_id].model_copy(update=fields)

    async def get(self, thread_id: str) -> Thread | None:
        await round_trip()
        return self.stored.get(thread_id)

    async def find(self, *, company_id: str, candidate_id: str) -> Thread | None:
        await round_trip()
        found = [t for t in self.stored.values() if (t.company_id, t.candidate_id) == (company_id, candidate_id)]
        return found[0] if found else None

    async def open(self, thread: Thread) -> Thread:
        existing = await self.find(company_id=thread.company_id, candidate_id=thread.candidate_id)
        if existing is not None:
            return existing
        self.stored[thread.thread_id] = thread
        return thread

    async def update(self, thread_id: str, fields: dict[str, Any]) -> None:
        await round_trip()
        self._set(thread_id, **fields)

    async def record_message(self, thread_id: str, *, sender: Side, at: datetime) -> None:
        await round_trip()
        recipient: Side = "recruiter" if sender == "candidate" else "candidate"
        unread = unread_field(recipient)
        fields: dict[str, Any] = {"last_message_at": at, archived_field(recipient): False,
                                  unread: getattr(self.stored[thread_id], unread) + 1}
        if sender == "candidate":
            fields["candidate_replied"] = True
        self._set(thread_id, **fields)

    async def mark_read(self, thread_id: str, reader: Side) -> None:
        await round_trip()
        self._set(thread_id, **{unread_field(reader): 0})

    async def close_for_candidate(self, candidate_id: str, reason: str) -> None:
        for thread in [t for t in self.stored.values() if t.candidate_id == candidate_id]:
            self._set(thread.thread_id, status="closed", closed_reason=reason, company_name=None, unread_candidate=0)

    async def block(self, *, company_id: str, candidate_id: str) -> None:
        thread = await self.find(company_id=company_id, candidate_id=candidate_id)
        if thread is not None:
            self._set(thread.thread_id, blocked_by_candidate=True)

    async def mark_scout_declined(self, *, company_id: str, candidate_id: str, scout_id: str) -> None:
        thread = await self.find(company_id=company_id, candidate_id=candidate_id)
        if thread is not None and thread.scout_id == scout_id:
            self._set(thread.thread_id, scout_declined=True)

    async def list_page(self, side: Side, party_id: str, *, archived: bool, cursor: str | None, limit: int
                        ) -> tuple[list[Thread], str | None]:
        await round_trip()
        party = "candidate_id" if side == "candidate" else "company_id"
        mine = [t for t in self.stored.values()
                if getattr(t, party) == party_id and getattr(t, archived_field(side)) == archived]
        return mine[:limit], None


class InMemoryMessages:
    """`MessageRepository`: `reply_key` is unique (FirstReplyTaken), read receipts set once per message."""

    def __init__(self) -> None:
        self.stored: dict[str, Message] = {}
        self.reply_keys: set[str] = set()
        self.published: list[Envelope] = []

    async def add(self, message: Message, *, candidate_id: str, reply_key: str, event: Envelope) -> None:
        await round_trip()
        if reply_key in self.reply_keys:
            raise FirstReplyTaken(message.thread_id)
        self.reply_keys.add(reply_key)
        self.stored[message.message_id] = message
        self.published.append(event)

    async def list(self, thread_id: str, *, limit: int = 500) -> list[Message]:
        await round_trip()
        return sorted((m for m in self.stored.values() if m.thread_id == thread_id), key=lambda m: m.sent_at)[:limit]

    async def mark_read(self, thread_id: str, *, reader: Side, at: datetime) -> int:
        await round_trip()
        writer = "recruiter" if reader == "candidate" else "candidate"
        unread = [m for m in self.stored.values()
                  if m.thread_id == thread_id and m.sender_role == writer and m.read_at is None]
        for message in unread:
            self.stored[message.message_id] = message.model_copy(update={"read_at": at})
        return len(unread)

    async def erase_candidate(self, candidate_id: str) -> None:
        raise NotImplementedError  # not on these paths


class FakeDirectory:
    """`Directory`: which companies are active, students' zones, and the per-window message counter."""

    def __init__(self) -> None:
        self.inactive: set[str] = set()
        self.counts: dict[tuple[str, int], int] = {}

    async def company_active(self, company_id: str) -> bool:
        await round_trip()
        return company_id not in self.inactive

    async def zone_of(self, candidate_id: str) -> str:
        return "Asia/Tokyo"

    async def count_message(self, sender_id: str, window_start: int) -> int:
        await round_trip()
        key = (sender_id, window_start)
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts[key]


class InMemoryQuestions:
    """`QuestionRepository`: `answer` only while unanswered (False after)."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}
        self.published: list[Envelope] = []

    async def add(self, question: dict[str, Any], *events: Envelope) -> None:
        await round_trip()
        self.stored[question["question_id"]] = dict(question)
        self.published.extend(events)

    async def get(self, question_id: str) -> dict[str, Any] | None:
        await round_trip()
        found = self.stored.get(question_id)
        return dict(found) if found else None

    async def list_for_thread(self, thread_id: str) -> list[dict[str, Any]]:
        return [dict(q) for q in self.stored.values() if q["thread_id"] == thread_id]

    async def answer(self, question_id: str, channel: str, at: datetime) -> bool:
        await round_trip()
        question = self.stored[question_id]
        if question["answered_channel"] is not None:
            return False
        question.update(answered_channel=channel, answered_at=at)
        return True


class FakeProfile:
    def __init__(self) -> None:
        self.channels: dict[str, str] = {}

    async def set_preferred_channel(self, candidate_id: str, channel: str) -> None:
        await round_trip()
        self.channels[candidate_id] = channel


class InMemoryInterviews:
    """`InterviewRepository`: `transition` applies only if status and `updated_at` are still as read."""

    def __init__(self) -> None:
        self.stored: dict[str, Interview] = {}
        self.published: list[Envelope] = []

    async def add(self, interview: Interview, *events: Envelope) -> None:
        await round_trip()
        self.stored[interview.interview_id] = interview
        self.published.extend(events)

    async def get(self, interview_id: str) -> Interview | None:
        await round_trip()
        return self.stored.get(interview_id)

    async def list_for_thread(self, thread_id: str) -> list[Interview]:
        return sorted((i for i in self.stored.values() if i.thread_id == thread_id), key=lambda i: i.updated_at)

    async def transition(self, interview: Interview, fields: dict[str, Any], *events: Envelope) -> bool:
        await round_trip()
        current = self.stored[interview.interview_id]
        if (current.status, current.updated_at) != (interview.status, interview.updated_at):
            return False
        self.stored[interview.interview_id] = Interview.model_validate({**current.model_dump(), **fields})
        self.published.extend(events)
        return True

    async def cancel_for_candidate(self, candidate_id: str, at: datetime) -> None:
        raise NotImplementedError  # not on these paths


class InMemoryOffers:
    """`OfferRepository`: one open offer per thread (an open offer past its deadline gives up the slot on
    `close_lapsed`); `respond` only while open and before the deadline; a lapse is recorded once."""

    def __init__(self) -> None:
        self.stored: dict[str, Offer] = {}
        self.holds_slot: set[str] = set()
        self.published: list[Envelope] = []

    async def add(self, offer: Offer, *events: Envelope) -> None:
        await round_trip()
        if any(self.stored[o].thread_id == offer.thread_id for o in self.holds_slot):
            raise OpenOfferExists(offer.thread_id)
        self.stored[offer.offer_id] = offer
        self.holds_slot.add(offer.offer_id)
        self.published.extend(events)

    async def close_lapsed(self, thread_id: str, now: datetime) -> None:
        await round_trip()
        self.holds_slot = {o for o in self.holds_slot
                           if self.stored[o].thread_id != thread_id or self.stored[o].respond_by > now}

    async def mark_lapsed(self, offer: Offer, now: datetime, *events: Envelope) -> bool:
        await round_trip()
        current = self.stored[offer.offer_id]
        if current.status != "open" or current.respond_by > now or current.lapsed_at is not None:
            return False
        self.stored[offer.offer_id] = current.model_copy(update={"lapsed_at": now})
        self.holds_slot.discard(offer.offer_id)
        self.published.extend(events)
        return True

    async def get(self, offer_id: str) -> Offer | None:
        await round_trip()
        return self.stored.get(offer_id)

    async def list_for_thread(self, thread_id: str) -> list[Offer]:
        return sorted((o for o in self.stored.values() if o.thread_id == thread_id), key=lambda o: o.issued_at)

    async def respond(self, offer: Offer, fields: dict[str, Any], now: datetime, *events: Envelope) -> bool:
        await round_trip()
        current = self.stored[offer.offer_id]
        if current.status != "open" or current.respond_by <= now:
            return False
        self.stored[offer.offer_id] = current.model_copy(update=fields)
        self.holds_slot.discard(offer.offer_id)
        self.published.extend(events)
        return True

    async def close_for_candidate(self, candidate_id: str) -> None:
        raise NotImplementedError  # not on these paths


class Stack:
    def __init__(self, **settings: Any) -> None:
        self.clock = SettableClock(NOW, frozen=True)
        self.threads = InMemoryThreads()
        self.messages = InMemoryMessages()
        self.directory = FakeDirectory()
        self.questions = InMemoryQuestions()
        self.profile = FakeProfile()
        self.interviews = InMemoryInterviews()
        self.offers = InMemoryOffers()
        self.lapses = InMemoryDueBuckets()
        # attachments and their store are not on these paths (no message here carries one)
        self.conversation = Conversation(
            threads=self.threads, messages=self.messages, attachments=None,  # type: ignore[arg-type]
            questions=self.questions, store=None, directory=self.directory,  # type: ignore[arg-type]
            profile=self.profile, settings=MessagingSettings(**settings), clock=self.clock)
        self.scheduling = Scheduling(threads=self.threads, interviews=self.interviews, offers=self.offers,
                                     directory=self.directory, lapses=self.lapses,  # type: ignore[arg-type]
                                     clock=self.clock)
        self.thread = Thread(thread_id="t-hana", company_id="comp-a", candidate_id="hana", company_name="Acme",
                             scout_id="scout-1", opened_by="scout", opened_at=NOW - timedelta(days=1))
        self.threads.stored[self.thread.thread_id] = self.thread
        self.threads.stored["t-aiko"] = self.thread.model_copy(update={"thread_id": "t-aiko", "candidate_id": "aiko"})

    async def view(self, principal: Principal) -> Thread:
        return (await self.conversation.get_thread(principal, self.thread.thread_id))[0]


def types(envelopes: list[Envelope]) -> list[str]:
    return [e.type for e in envelopes]


# -- threads and messages -------------------------------------------------------------------------


@pytest.mark.parametrize("stranger", [AIKO, OTHER_COMPANY, Principal(subject="admin-1", role="admin")])
async def test_only_the_student_and_her_company_see_a_thread(stranger: Principal):
    stack = Stack()
    assert (await stack.conversation.get_thread(HANA, "t-hana"))[1] == "candidate"
    assert (await stack.conversation.get_thread(SATO, "t-hana"))[1] == "recruiter"
    for seeing in (stack.conversation.get_thread, stack.conversation.list_messages, stack.scheduling.list_offers):
        with pytest.raises(ThreadNotVisible):
            await seeing(stranger, "t-hana")
    with pytest.raises(ThreadNotVisible):
        await stack.conversation.send(stranger, "t-hana", body="hello", attachment_ids=[])
    with pytest.raises(ThreadNotVisible):  # a missing thread answers the same as someone else's
        await stack.conversation.get_thread(HANA, "t-nowhere")
    assert await stack.messages.list("t-hana") == []


async def test_her_thread_list_holds_only_her_threads_and_the_company_s_only_its_own():
    stack = Stack()
    hers, _ = await stack.conversation.list_threads(HANA, archived=False)
    company, _ = await stack.conversation.list_threads(SATO, archived=False)
    others, _ = await stack.conversation.list_threads(OTHER_COMPANY, archived=False)
    assert [t.thread_id for t in hers] == ["t-hana"]
    assert sorted(t.thread_id for t in company) == ["t-aiko", "t-hana"]
    assert others == []


async def test_a_message_is_recorded_with_its_event_and_the_student_s_first_reply_is_announced_once():
    stack = Stack()
    scout_note = await stack.conversation.send(SATO, "t-hana", body="  Hello Hana  ", attachment_ids=[])
    stack.clock.advance(minutes=5)
    first = await stack.conversation.send(HANA, "t-hana", body="Hello!", attachment_ids=[])
    stack.clock.advance(minutes=5)
    second = await stack.conversation.send(HANA, "t-hana", body="When can we talk?", attachment_ids=[])
    listed = await stack.conversation.list_messages(SATO, "t-hana")
    assert [(m.sender_role, m.body) for m in listed] == [
        ("recruiter", "Hello Hana"), ("candidate", "Hello!"), ("candidate", "When can we talk?")]
    assert types(stack.messages.published) == ["MessageSent", "ReplyReceived", "MessageSent"]
    announced = [e.event() for e in stack.messages.published]
    assert [getattr(f, "message_id", None) for f in announced] == [
        scout_note.message_id, first.message_id, second.message_id]


async def test_two_first_replies_at_once_announce_one_reply_and_keep_both_messages():
    stack = Stack()
    await asyncio.gather(stack.conversation.send(HANA, "t-hana", body="Hi", attachment_ids=[]),
                         stack.conversation.send(HANA, "t-hana", body="Hi again", attachment_ids=[]))
    assert sorted(types(stack.messages.published)) == ["MessageSent", "ReplyReceived"]
    assert len(await stack.conversation.list_messages(HANA, "t-hana")) == 2


async def test_read_receipts_cover_what_the_other_side_wrote_and_clear_her_unread_count():
    stack = Stack()
    for body in ("Hello", "Are you free on Friday?"):
        await stack.conversation.send(SATO, "t-hana", body=body, attachment_ids=[])
        stack.clock.advance(minutes=1)
    await stack.conversation.send(HANA, "t-hana", body="Yes!", attachment_ids=[])
    assert (await stack.view(HANA)).unread_candidate == 2 and (await stack.view(SATO)).unread_company == 1

    stack.clock.advance(hours=1)
    assert await stack.conversation.mark_read(HANA, "t-hana") == 2
    assert await stack.conversation.mark_read(HANA, "t-hana") == 0  # nothing new
    messages = await stack.conversation.list_messages(SATO, "t-hana")
    assert [(m.sender_role, m.read_at) for m in messages] == [
        ("recruiter", NOW + timedelta(minutes=2, hours=1)), ("recruiter", NOW + timedelta(minutes=2, hours=1)),
        ("candidate", None)]  # her own message waits for the company to read it
    assert (await stack.view(HANA)).unread_candidate == 0 and (await stack.view(SATO)).unread_company == 1


async def test_a_new_message_brings_an_archived_thread_back_for_its_recipient_only():
    stack = Stack()
    await stack.conversation.set_archived(HANA, "t-hana", archived=True)
    assert (await stack.conversation.list_threads(HANA, archived=False))[0] == []
    await stack.conversation.send(SATO, "t-hana", body="One more thing", attachment_ids=[])
    assert [t.thread_id for t in (await stack.conversation.list_threads(HANA, archived=False))[0]] == ["t-hana"]


async def test_a_student_cannot_start_a_conversation_but_answers_in_the_scout_s_thread():
    stack = Stack()
    with pytest.raises(StudentCannotStart):
        await stack.conversation.send_to_company(HANA, "comp-b", body="Hello", attachment_ids=[])
    answer = await stack.conversation.send_to_company(HANA, "comp-a", body="Hello", attachment_ids=[])
    assert answer.thread_id == "t-hana"


async def test_once_she_blocks_the_company_it_cannot_write_and_an_inactive_company_cannot_either():
    stack = Stack()
    with pytest.raises(Exception, match="only the student"):
        await stack.conversation.set_blocked(SATO, "t-hana", blocked=True)
    await stack.conversation.set_blocked(HANA, "t-hana", blocked=True)
    with pytest.raises(SendingRefused, match="blocked your company"):
        await stack.conversation.send(SATO, "t-hana", body="Hello?", attachment_ids=[])
    stack.directory.inactive.add("comp-a")
    with pytest.raises(SendingRefused, match="not active"):
        await stack.conversation.send(SATO, "t-aiko", body="Hello?", attachment_ids=[])
    assert stack.messages.published == []


async def test_a_sender_over_the_rate_limit_is_told_when_to_try_again():
    stack = Stack(rate_limit_messages=2, rate_limit_window_seconds=60)
    for body in ("one", "two"):
        await stack.conversation.send(SATO, "t-hana", body=body, attachment_ids=[])
    stack.clock.advance(seconds=20)
    with pytest.raises(RateLimited) as refused:
        await stack.conversation.send(SATO, "t-hana", body="three", attachment_ids=[])
    assert refused.value.retry_after == 40
    stack.clock.advance(seconds=40)  # the next window
    await stack.conversation.send(SATO, "t-hana", body="three", attachment_ids=[])
    assert len(await stack.conversation.list_messages(SATO, "t-hana")) == 3


async def test_her_preferred_channel_answer_reaches_profile_and_is_taken_once():
    stack = Stack()
    question = await stack.conversation.ask_contact_preference(SATO, "t-hana")
    assert types(stack.questions.published) == ["ContactPreferenceAsked"]
    with pytest.raises(Exception, match="only the student"):
        await stack.conversation.answer_contact_preference(SATO, question["question_id"], "line")
    answered = await stack.conversation.answer_contact_preference(HANA, question["question_id"], "line")
    assert answered["answered_channel"] == "line" and stack.profile.channels == {"hana": "line"}
    with pytest.raises(AlreadyAnswered):
        await stack.conversation.answer_contact_preference(HANA, question["question_id"], "email")
    assert stack.profile.channels == {"hana": "line"}


# -- interviews ----------------------------------------------------------------------------------


def slots(*hours_ahead: int) -> list[SlotProposal]:
    return [SlotProposal(starts_at=NOW + timedelta(days=7, hours=h), duration_minutes=45) for h in hours_ahead]


async def test_the_company_proposes_times_and_the_student_picks_one_in_her_time_zone():
    stack = Stack()
    with pytest.raises(Exception, match="only the company"):
        await stack.scheduling.propose_interview(HANA, "t-hana", slots=slots(1), location=None)
    proposed = await stack.scheduling.propose_interview(SATO, "t-hana", slots=slots(2, 1), location="Online")
    assert [s.starts_at for s in proposed.slots] == [NOW + timedelta(days=7, hours=h) for h in (1, 2)]
    stack.clock.advance(hours=1)
    with pytest.raises(Exception, match="only the student"):
        await stack.scheduling.choose_slot(SATO, proposed.interview_id, slot_id=proposed.slots[0].slot_id,
                                           time_zone=None)
    chosen = await stack.scheduling.choose_slot(HANA, proposed.interview_id, slot_id=proposed.slots[1].slot_id,
                                                time_zone=None)
    assert (chosen.status, chosen.starts_at) == ("scheduled", NOW + timedelta(days=7, hours=2))
    [listed] = await stack.scheduling.list_interviews(SATO, "t-hana")
    assert (listed.status, listed.starts_at, listed.duration_minutes) == (
        "scheduled", NOW + timedelta(days=7, hours=2), 45)
    scheduled = stack.interviews.published[-1].event()
    assert types(stack.interviews.published) == ["InterviewSlotsProposed", "InterviewScheduled"]
    assert scheduled.starts_at_local.startswith("2026-09-08T12:00")  # type: ignore[attr-defined]  # 03:00 UTC


async def test_her_pick_and_the_company_s_cancellation_at_once_one_wins_and_the_other_is_told():
    stack = Stack()
    proposed = await stack.scheduling.propose_interview(SATO, "t-hana", slots=slots(1), location=None)
    stack.clock.advance(minutes=1)
    answers = await asyncio.gather(
        stack.scheduling.choose_slot(HANA, proposed.interview_id, slot_id=proposed.slots[0].slot_id, time_zone=None),
        stack.scheduling.cancel_interview(SATO, proposed.interview_id, reason="position filled"),
        return_exceptions=True)
    won = [a for a in answers if isinstance(a, Interview)]
    assert len(won) == 1 and [type(a) for a in answers if not isinstance(a, Interview)] == [ChangedMeanwhile]
    stored = (await stack.scheduling.list_interviews(HANA, "t-hana"))[0]
    assert stored.status == won[0].status
    assert len(stack.interviews.published) == 2  # the proposal and the one change that was stored


async def test_asking_for_other_times_then_new_times_then_a_pick():
    stack = Stack()
    proposed = await stack.scheduling.propose_interview(SATO, "t-hana", slots=slots(1), location=None)
    stack.clock.advance(minutes=1)
    asked = await stack.scheduling.request_other_times(HANA, proposed.interview_id, note="mornings please")
    assert asked.status == "alternatives_requested"
    with pytest.raises(Exception, match="nothing to pick"):
        await stack.scheduling.choose_slot(HANA, proposed.interview_id, slot_id=proposed.slots[0].slot_id,
                                           time_zone=None)
    stack.clock.advance(minutes=1)
    again = await stack.scheduling.propose_new_slots(SATO, proposed.interview_id, slots=slots(-5), note=None)
    stack.clock.advance(minutes=1)
    chosen = await stack.scheduling.choose_slot(HANA, proposed.interview_id, slot_id=again.slots[0].slot_id,
                                                time_zone="Europe/Paris")
    assert (chosen.status, chosen.starts_at, chosen.candidate_time_zone) == (
        "scheduled", NOW + timedelta(days=7, hours=-5), "Europe/Paris")
    assert types(stack.interviews.published) == [
        "InterviewSlotsProposed", "InterviewTimesRequested", "InterviewSlotsProposed", "InterviewScheduled"]


# -- offers --------------------------------------------------------------------------------------


async def test_an_offer_is_answered_once_and_a_thread_holds_one_open_offer():
    stack = Stack()
    offer = await stack.scheduling.issue_offer(SATO, "t-hana", terms="Engineer", respond_by=NOW + timedelta(days=7))
    with pytest.raises(OpenOfferExists):
        await stack.scheduling.issue_offer(SATO, "t-hana", terms="Designer", respond_by=NOW + timedelta(days=7))
    with pytest.raises(Exception, match="only the student"):
        await stack.scheduling.accept_offer(SATO, offer.offer_id)
    accepted = await stack.scheduling.accept_offer(HANA, offer.offer_id)
    assert accepted.status == "accepted"
    with pytest.raises(OfferRefused, match="already accepted"):
        await stack.scheduling.decline_offer(HANA, offer.offer_id, reason="changed my mind")
    assert [o.status for o in await stack.scheduling.list_offers(HANA, "t-hana")] == ["accepted"]
    assert types(stack.offers.published) == ["OfferIssued", "OfferAccepted"]
    # answered, it no longer holds the thread's open offer
    await stack.scheduling.issue_offer(SATO, "t-hana", terms="Designer", respond_by=NOW + timedelta(days=7))


async def test_accepting_and_declining_at_once_one_answer_stands():
    stack = Stack()
    offer = await stack.scheduling.issue_offer(SATO, "t-hana", terms="Engineer", respond_by=NOW + timedelta(days=7))
    answers = await asyncio.gather(stack.scheduling.accept_offer(HANA, offer.offer_id),
                                   stack.scheduling.decline_offer(HANA, offer.offer_id, reason="other offer"),
                                   return_exceptions=True)
    stood = [a for a in answers if isinstance(a, Offer)]
    assert len(stood) == 1 and [type(a) for a in answers if not isinstance(a, Offer)] == [OfferRefused]
    assert (await stack.offers.get(offer.offer_id)).status == stood[0].status  # type: ignore[union-attr]
    assert len(stack.offers.published) == 2


async def test_an_offer_past_its_deadline_cannot_be_answered_lapses_once_and_frees_the_thread():
    stack = Stack()
    offer = await stack.scheduling.issue_offer(SATO, "t-hana", terms="Engineer", respond_by=NOW + timedelta(days=2))
    stack.clock.advance(days=1)
    assert await stack.scheduling.lapse_due_offers() == 0
    stack.clock.advance(days=1, seconds=1)
    with pytest.raises(OfferRefused, match="deadline"):
        await stack.scheduling.accept_offer(HANA, offer.offer_id)
    assert await stack.scheduling.lapse_due_offers() == 1
    assert await stack.scheduling.lapse_due_offers() == 0
    assert types(stack.offers.published) == ["OfferIssued", "OfferLapsed"]
    renewed = await stack.scheduling.issue_offer(SATO, "t-hana", terms="Engineer",
                                                 respond_by=NOW + timedelta(days=9))
    assert renewed.status == "open"


async def test_two_lapse_sweeps_at_once_announce_a_lapse_once():
    stack = Stack()
    await stack.scheduling.issue_offer(SATO, "t-hana", terms="Engineer", respond_by=NOW + timedelta(days=2))
    stack.clock.advance(days=3)
    assert sum(await asyncio.gather(stack.scheduling.lapse_due_offers(), stack.scheduling.lapse_due_offers())) == 1
    assert types(stack.offers.published) == ["OfferIssued", "OfferLapsed"]


async def test_two_answers_to_one_question_at_once_one_is_taken_and_the_other_told():
    stack = Stack()
    question = await stack.conversation.ask_contact_preference(SATO, "t-hana")
    answers = await asyncio.gather(
        stack.conversation.answer_contact_preference(HANA, question["question_id"], "line"),
        stack.conversation.answer_contact_preference(HANA, question["question_id"], "email"),
        return_exceptions=True)
    taken = [a for a in answers if isinstance(a, dict)]
    assert len(taken) == 1 and [type(a) for a in answers if not isinstance(a, dict)] == [AlreadyAnswered]
    stored = await stack.questions.get(question["question_id"])
    assert stored is not None and stored["answered_channel"] == taken[0]["answered_channel"]


async def test_of_two_answers_at_once_profile_keeps_the_one_that_was_taken():
    stack = Stack()
    question = await stack.conversation.ask_contact_preference(SATO, "t-hana")
    await asyncio.gather(stack.conversation.answer_contact_preference(HANA, question["question_id"], "line"),
                         stack.conversation.answer_contact_preference(HANA, question["question_id"], "email"),
                         return_exceptions=True)
    stored = await stack.questions.get(question["question_id"])
    assert stored is not None and stack.profile.channels == {"hana": stored["answered_channel"]}
