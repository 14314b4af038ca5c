"""Events of other services that messaging reacts to. Each handler is idempotent on
messaging's own state, so a redelivered event changes nothing more."""

from dataclasses import dataclass
from uuid import uuid4

import structlog
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import (
    CompanyBlocked,
    CompanyStatusChanged,
    ContactPreferencesChanged,
    MutualInterestMatched,
    ProfileDeleted,
    ScoutDeclined,
    ScoutSent,
)

from tsunagu_messaging.adapters.directory import Directory
from tsunagu_messaging.adapters.records import (
    AttachmentRepository,
    InterviewRepository,
    OfferRepository,
)
from tsunagu_messaging.adapters.storage import AttachmentStore
from tsunagu_messaging.adapters.threads import MessageRepository, ThreadRepository
from tsunagu_messaging.domain.interviews import zone
from tsunagu_messaging.domain.threads import Thread

log = structlog.get_logger(__name__)


@dataclass
class ConsumedEvents:
    threads: ThreadRepository
    messages: MessageRepository
    attachments: AttachmentRepository
    interviews: InterviewRepository
    offers: OfferRepository
    store: AttachmentStore
    directory: Directory

    async def on_event(self, envelope: Envelope) -> None:
        """Dispatch one consumed event by its type; other types are not messaging's concern."""
        event = envelope.event()
        handler = {
            ScoutSent: self.on_scout_sent,
            MutualInterestMatched: self.on_mutual_interest,
            ScoutDeclined: self.on_scout_declined,
            CompanyBlocked: self.on_company_blocked,
            CompanyStatusChanged: self.on_company_status,
            ProfileDeleted: self.on_profile_deleted,
            ContactPreferencesChanged: self.on_contact_preferences,
        }.get(type(event))
        if handler is not None:
            await handler(event)

    async def on_scout_sent(self, event: ScoutSent) -> None:
        """A scout opens the thread, or reuses the one this company and student already have.

        A new scout (another scout id) lets the company write again after an earlier
        decline; a block by the student and a closed thread stay as they are."""
        if await self.directory.is_erased(event.candidate_id):
            return
        thread = await self.threads.open(Thread(
            thread_id=str(uuid4()), company_id=event.company_id, candidate_id=event.candidate_id,
            company_name=event.company_name, recruiter_id=event.recruiter_id, recruiter_name=event.recruiter_name,
            scout_id=event.scout_id, opened_by="scout", opened_at=event.sent_at, last_message_at=event.sent_at))
        fields = {"company_name": event.company_name, "recruiter_id": event.recruiter_id,
                  "recruiter_name": event.recruiter_name}
        if thread.scout_id != event.scout_id:
            fields |= {"scout_id": event.scout_id, "scout_declined": False}
        await self.threads.update(thread.thread_id, fields)

    async def on_mutual_interest(self, event: MutualInterestMatched) -> None:
        """Both sides showed interest at a matching event: the company may write without a scout."""
        if await self.directory.is_erased(event.candidate_id):
            return
        await self.threads.open(Thread(
            thread_id=str(uuid4()), company_id=event.company_id, candidate_id=event.candidate_id,
            company_name=await self.directory.company_name(event.company_id), opened_by="mutual_interest",
            opened_at=event.matched_at, last_message_at=event.matched_at))

    async def on_scout_declined(self, event: ScoutDeclined) -> None:
        """She declined this scout: its company can send nothing more on the thread."""
        await self.threads.mark_scout_declined(company_id=event.company_id, candidate_id=event.candidate_id,
                                               scout_id=event.scout_id)

    async def on_company_blocked(self, event: CompanyBlocked) -> None:
        """She blocked the company where scouts are managed: the thread is blocked here too."""
        await self.threads.block(company_id=event.company_id, candidate_id=event.candidate_id)

    async def on_company_status(self, event: CompanyStatusChanged) -> None:
        """A company that left (or is inactive) can send nothing more."""
        active = event.status == "active" and event.change != "left"
        await self.directory.set_company_status(event.company_id, name=event.name, active=active,
                                                changed_at=event.changed_at)

    async def on_profile_deleted(self, event: ProfileDeleted) -> None:
        """Erase her messages' content and attachments, close her threads, stop open interviews and offers."""
        candidate_id = event.candidate_id
        await self.directory.mark_erased(candidate_id, event.deleted_at)
        await self.threads.close_for_candidate(candidate_id, "profile_deleted")
        await self.messages.erase_candidate(candidate_id)
        keys = await self.attachments.keys_for_candidate(candidate_id)
        for key in keys:  # bytes first: a crash here leaves metadata that the redelivery finds again
            await self.store.delete(key)
        await self.attachments.forget(keys)
        await self.interviews.cancel_for_candidate(candidate_id, event.deleted_at)
        await self.offers.close_for_candidate(candidate_id)

    async def on_contact_preferences(self, event: ContactPreferencesChanged) -> None:
        """Keep her time zone, to show interview times in it."""
        try:
            zone(event.time_zone)
        except ValueError:
            log.warning("unknown_time_zone_ignored", candidate_id=event.candidate_id, time_zone=event.time_zone)
            return
        await self.directory.set_zone(event.candidate_id, event.time_zone, event.changed_at)
