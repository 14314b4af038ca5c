"""Interviews and offers inside a thread."""

from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from tsunagu_shared.auth import Principal
from tsunagu_shared.clock import SYSTEM_CLOCK, Clock
from tsunagu_shared.due import DueBuckets
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import (
    InterviewCancelled,
    InterviewRescheduled,
    InterviewScheduled,
    InterviewSlotsProposed,
    InterviewTimesRequested,
    OfferAccepted,
    OfferDeclined,
    OfferIssued,
    OfferLapsed,
    ProposedSlot,
)

from tsunagu_messaging.adapters.directory import Directory
from tsunagu_messaging.adapters.records import InterviewRepository, OfferRepository
from tsunagu_messaging.adapters.threads import ThreadRepository
from tsunagu_messaging.domain import interviews as rules
from tsunagu_messaging.domain import offers as offer_rules
from tsunagu_messaging.domain.interviews import Interview, InterviewRefused, Slot, SlotProposal
from tsunagu_messaging.domain.offers import Offer, OfferRefused
from tsunagu_messaging.domain.threads import SendingRefused, Side, Thread, check_may_write, require_side
from tsunagu_messaging.handlers.common import SOURCE, NotFound, visible_thread


class ChangedMeanwhile(Exception):
    """Someone else changed the interview at the same moment; read it again."""


@dataclass
class Scheduling:
    threads: ThreadRepository
    interviews: InterviewRepository
    offers: OfferRepository
    directory: Directory
    # open offers listed by the minute their deadline passes (the lapse sweep reads only those)
    lapses: DueBuckets
    clock: Clock = SYSTEM_CLOCK
    thread_base_url: str = "https://tsunagu.example/threads"

    async def _writable(self, principal: Principal, thread_id: str) -> tuple[Thread, Side]:
        thread, side = await visible_thread(self.threads, thread_id, principal)
        check_may_write(thread, side, company_active=await self.directory.company_active(thread.company_id))
        return thread, side

    def _slots(self, proposals: list[SlotProposal]) -> list[Slot]:
        rules.check_slots(proposals, now=self.clock.now())
        return [Slot(slot_id=uuid4().hex[:12], starts_at=p.starts_at, duration_minutes=p.duration_minutes)
                for p in sorted(proposals, key=lambda p: p.starts_at)]

    async def propose_interview(self, principal: Principal, thread_id: str, *, slots: list[SlotProposal],
                                location: str | None, respond_by: datetime | None = None) -> Interview:
        """The company proposes times and a deadline to pick one (InterviewSlotsProposed, same write)."""
        thread, side = await self._writable(principal, thread_id)
        require_side(side, "recruiter", "propose interview times")
        now = self.clock.now()
        checked = self._slots(slots)
        interview = Interview(interview_id=str(uuid4()), thread_id=thread_id, company_id=thread.company_id,
                              candidate_id=thread.candidate_id, status="proposed", slots=checked,
                              location=location, candidate_time_zone=await self.directory.zone_of(thread.candidate_id),
                              proposal_id=uuid4().hex[:12],
                              respond_by=rules.response_deadline(slots, respond_by, now=now), updated_at=now)
        await self.interviews.add(interview, Envelope.wrap(self._proposed(interview, thread, principal), source=SOURCE))
        return interview

    def _proposed(self, interview: Interview, thread: Thread, principal: Principal) -> InterviewSlotsProposed:
        assert interview.proposal_id is not None and interview.respond_by is not None
        return InterviewSlotsProposed(
            interview_id=interview.interview_id, proposal_id=interview.proposal_id, thread_id=thread.thread_id,
            company_id=thread.company_id, candidate_id=thread.candidate_id,
            slots=[ProposedSlot(**s.model_dump()) for s in interview.slots], respond_by=interview.respond_by,
            proposed_at=interview.updated_at, candidate_time_zone=interview.candidate_time_zone,
            location=interview.location, respond_url=f"{self.thread_base_url.rstrip('/')}/{thread.thread_id}",
            company_name=thread.company_name, recruiter_name=principal.name or thread.recruiter_name)

    async def list_interviews(self, principal: Principal, thread_id: str) -> list[Interview]:
        await visible_thread(self.threads, thread_id, principal)
        return await self.interviews.list_for_thread(thread_id)

    async def _load(self, principal: Principal, interview_id: str) -> tuple[Interview, Thread, Side]:
        interview = await self.interviews.get(interview_id)
        if interview is None:
            raise NotFound(f"no interview {interview_id}")
        thread, side = await self._writable(principal, interview.thread_id)
        return interview, thread, side

    async def _save(self, interview: Interview, fields: dict, *events, at: datetime | None = None) -> Interview:
        fields = {**fields, "updated_at": at or self.clock.now()}
        wrapped = [Envelope.wrap(e, source=SOURCE) for e in events]
        if not await self.interviews.transition(interview, fields, *wrapped):
            raise ChangedMeanwhile("the interview changed meanwhile; reload it")
        return Interview.model_validate({**interview.model_dump(), **fields})

    async def choose_slot(self, principal: Principal, interview_id: str, *, slot_id: str,
                          time_zone: str | None) -> Interview:
        """The student picks a slot: InterviewScheduled with the time in UTC and in her zone."""
        interview, thread, side = await self._load(principal, interview_id)
        require_side(side, "candidate", "pick an interview time")
        slot = rules.choose(interview, slot_id, now=self.clock.now())
        zone_name = time_zone or interview.candidate_time_zone
        scheduled = InterviewScheduled(
            interview_id=interview.interview_id, thread_id=thread.thread_id, company_id=thread.company_id,
            candidate_id=thread.candidate_id, starts_at=slot.starts_at, candidate_time_zone=zone_name,
            duration_minutes=slot.duration_minutes, location=interview.location, scheduled_at=self.clock.now(),
            starts_at_local=rules.local_time(slot.starts_at, zone_name), company_name=thread.company_name,
            recruiter_name=thread.recruiter_name)
        return await self._save(interview, {"status": "scheduled", "starts_at": slot.starts_at,
                                            "duration_minutes": slot.duration_minutes,
                                            "candidate_time_zone": zone_name, "respond_by": None}, scheduled)

    async def request_other_times(self, principal: Principal, interview_id: str, *, note: str | None) -> Interview:
        """The student asks for other times: InterviewTimesRequested on a proposal (her answer to it), or
        InterviewRescheduled to move an interview already scheduled."""
        interview, thread, side = await self._load(principal, interview_id)
        require_side(side, "candidate", "ask for other interview times")
        if interview.status not in ("proposed", "scheduled"):
            raise InterviewRefused(f"this interview is {interview.status}; there is nothing to move")
        if interview.status == "scheduled":
            answer = self._rescheduled(interview, thread, "candidate", note)
        else:
            answer = InterviewTimesRequested(interview_id=interview.interview_id, proposal_id=interview.proposal_id,
                                             thread_id=thread.thread_id, company_id=thread.company_id,
                                             candidate_id=thread.candidate_id, note=note, requested_at=self.clock.now())
        return await self._save(interview, {"status": "alternatives_requested", "note": note, "starts_at": None,
                                            "respond_by": None}, answer)

    async def propose_new_slots(self, principal: Principal, interview_id: str, *, slots: list[SlotProposal],
                                note: str | None, respond_by: datetime | None = None) -> Interview:
        """The company offers new times (after her request, or to move a scheduled interview), with a new
        deadline to pick one: a new InterviewSlotsProposed that replaces the earlier request."""
        interview, thread, side = await self._load(principal, interview_id)
        require_side(side, "recruiter", "propose interview times")
        rules.check_open(interview, "given new times")
        now = self.clock.now()
        new_slots = self._slots(slots)
        fields = {"status": "proposed", "slots": [s.model_dump() for s in new_slots], "note": note, "starts_at": None,
                  "proposal_id": uuid4().hex[:12], "respond_by": rules.response_deadline(slots, respond_by, now=now)}
        proposed = Interview.model_validate({**interview.model_dump(), **fields, "slots": new_slots, "updated_at": now})
        events = [self._rescheduled(interview, thread, "recruiter", note)] if interview.status == "scheduled" else []
        return await self._save(interview, fields, *events, self._proposed(proposed, thread, principal), at=now)

    async def cancel_interview(self, principal: Principal, interview_id: str, *, reason: str | None) -> Interview:
        """Either side calls the interview off; InterviewCancelled stops the reminders."""
        interview, thread, side = await self._load(principal, interview_id)
        rules.check_open(interview, "cancelled")
        cancelled = InterviewCancelled(interview_id=interview.interview_id, thread_id=thread.thread_id,
                                       company_id=thread.company_id, candidate_id=thread.candidate_id,
                                       starts_at=interview.starts_at, cancelled_by=side, reason=reason,
                                       cancelled_at=self.clock.now())
        return await self._save(interview, {"status": "cancelled", "note": reason, "respond_by": None}, cancelled)

    def _rescheduled(self, interview: Interview, thread: Thread, by: Side, note: str | None) -> InterviewRescheduled:
        assert interview.starts_at is not None
        return InterviewRescheduled(interview_id=interview.interview_id, thread_id=thread.thread_id,
                                    company_id=thread.company_id, candidate_id=thread.candidate_id,
                                    previous_starts_at=interview.starts_at, requested_by=by, reason=note,
                                    rescheduled_at=self.clock.now())

    async def issue_offer(self, principal: Principal, thread_id: str, *, terms: str, respond_by) -> Offer:
        """The company issues an offer with terms and a response deadline (one open offer per thread)."""
        thread, side = await self._writable(principal, thread_id)
        require_side(side, "recruiter", "issue an offer")
        now = self.clock.now()
        offer_rules.check_deadline(respond_by, now=now)
        offer = Offer(offer_id=str(uuid4()), thread_id=thread_id, company_id=thread.company_id,
                      candidate_id=thread.candidate_id, terms=terms, respond_by=respond_by, status="open",
                      issued_at=now, issued_by=principal.subject)
        issued = OfferIssued(offer_id=offer.offer_id, thread_id=thread_id, company_id=thread.company_id,
                             candidate_id=thread.candidate_id, respond_by=respond_by, issued_at=now,
                             company_name=thread.company_name, recruiter_name=principal.name or thread.recruiter_name)
        await self.offers.close_lapsed(thread_id, now)
        await self.lapses.add(offer.offer_id, respond_by)
        await self.offers.add(offer, Envelope.wrap(issued, source=SOURCE))
        return offer

    async def lapse_due_offers(self) -> int:
        """Publish OfferLapsed once for every open offer whose deadline passed unanswered (after-care stops)."""
        now, lapsed = self.clock.now(), 0

        async def lapse(ids: list[str]) -> list[str]:
            nonlocal lapsed
            finished = []
            for offer_id in ids:
                offer = await self.offers.get(offer_id)
                if offer is not None and offer.status == "open" and offer.lapsed_at is None:
                    if offer.respond_by > now:
                        continue  # later in this minute: it stays in its bucket
                    event = OfferLapsed(offer_id=offer_id, thread_id=offer.thread_id, company_id=offer.company_id,
                                        candidate_id=offer.candidate_id, respond_by=offer.respond_by, lapsed_at=now)
                    lapsed += await self.offers.mark_lapsed(offer, now, Envelope.wrap(event, source=SOURCE))
                finished.append(offer_id)  # lapsed now, answered before, or never written
            return finished

        await self.lapses.sweep(now, lapse)
        return lapsed

    async def list_offers(self, principal: Principal, thread_id: str) -> list[Offer]:
        await visible_thread(self.threads, thread_id, principal)
        return await self.offers.list_for_thread(thread_id)

    async def _offer_for_candidate(self, principal: Principal, offer_id: str) -> tuple[Offer, Thread]:
        offer = await self.offers.get(offer_id)
        if offer is None:
            raise NotFound(f"no offer {offer_id}")
        thread, side = await visible_thread(self.threads, offer.thread_id, principal)
        require_side(side, "candidate", "answer an offer")
        if thread.status == "closed":
            raise SendingRefused("this conversation is closed")
        offer_rules.check_may_respond(offer, now=self.clock.now())
        return offer, thread

    async def _respond(self, offer: Offer, fields: dict, event) -> Offer:
        now = self.clock.now()
        if not await self.offers.respond(offer, {**fields, "responded_at": now}, now,
                                         Envelope.wrap(event, source=SOURCE)):
            current = await self.offers.get(offer.offer_id) or offer
            offer_rules.check_may_respond(current, now=now)
            raise OfferRefused("the offer changed meanwhile; reload it")
        return offer.model_copy(update={**fields, "responded_at": now})

    async def accept_offer(self, principal: Principal, offer_id: str) -> Offer:
        """The student accepts: only an open offer, before its deadline."""
        offer, thread = await self._offer_for_candidate(principal, offer_id)
        accepted = OfferAccepted(offer_id=offer_id, thread_id=thread.thread_id, company_id=thread.company_id,
                                 candidate_id=thread.candidate_id, accepted_at=self.clock.now())
        return await self._respond(offer, {"status": "accepted"}, accepted)

    async def decline_offer(self, principal: Principal, offer_id: str, *, reason: str) -> Offer:
        """The student declines, saying why."""
        offer, thread = await self._offer_for_candidate(principal, offer_id)
        declined = OfferDeclined(offer_id=offer_id, thread_id=thread.thread_id, company_id=thread.company_id,
                                 candidate_id=thread.candidate_id, reason=reason, declined_at=self.clock.now())
        return await self._respond(offer, {"status": "declined", "decline_reason": reason}, declined)
