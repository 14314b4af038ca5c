"""Threads and messages: listing, writing, read receipts, archive, block, attachments,
and the company's question about the student's preferred contact channel."""

from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from tsunagu_shared.auth import Principal
from tsunagu_shared.clock import SYSTEM_CLOCK, Clock
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ContactPreferenceAsked, MessageSent, ReplyReceived

from tsunagu_messaging.adapters.directory import Directory
from tsunagu_messaging.adapters.profile_client import ProfileClient
from tsunagu_messaging.adapters.records import AttachmentRepository, QuestionRepository
from tsunagu_messaging.adapters.storage import AttachmentStore
from tsunagu_messaging.adapters.threads import (
    FirstReplyTaken,
    MessageRepository,
    ThreadRepository,
    first_reply_key,
)
from tsunagu_messaging.config import MessagingSettings
from tsunagu_messaging.domain import messages as rules
from tsunagu_messaging.domain.messages import Message, MessageRejected
from tsunagu_messaging.domain.threads import (
    NotYourMove,
    Side,
    Thread,
    archived_field,
    check_may_write,
    refuse_student_start,
    require_side,
)
from tsunagu_messaging.handlers.common import SOURCE, NotFound, visible_thread


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many messages: try again in {retry_after} seconds")
        self.retry_after = retry_after


class AlreadyAnswered(Exception):
    pass


@dataclass
class Conversation:
    threads: ThreadRepository
    messages: MessageRepository
    attachments: AttachmentRepository
    questions: QuestionRepository
    store: AttachmentStore
    directory: Directory
    profile: ProfileClient
    settings: MessagingSettings
    clock: Clock = SYSTEM_CLOCK

    async def list_threads(self, principal: Principal, *, archived: bool, cursor: str | None = None,
                           limit: int = 50) -> tuple[list[Thread], str | None]:
        """A page of the caller's threads (hers as a student, her company's as a recruiter), from
        the threads index, and the next page's cursor."""
        if principal.role == "candidate":
            return await self.threads.list_page("candidate", principal.subject, archived=archived, cursor=cursor,
                                                limit=limit)
        if principal.role == "recruiter":
            return await self.threads.list_page("recruiter", principal.company_id or "", archived=archived,
                                                cursor=cursor, limit=limit)
        raise NotYourMove("only the student and the company of a thread can list threads")

    async def get_thread(self, principal: Principal, thread_id: str) -> tuple[Thread, Side]:
        return await visible_thread(self.threads, thread_id, principal)

    async def list_messages(self, principal: Principal, thread_id: str) -> list[Message]:
        await visible_thread(self.threads, thread_id, principal)
        return await self.messages.list(thread_id)

    async def send(self, principal: Principal, thread_id: str, *, body: str,
                   attachment_ids: list[str]) -> Message:
        """Write in a thread the caller is a party to."""
        thread, side = await visible_thread(self.threads, thread_id, principal)
        return await self._send(thread, side, principal, body=body, attachment_ids=attachment_ids)

    async def send_to_company(self, principal: Principal, company_id: str, *, body: str,
                              attachment_ids: list[str]) -> Message:
        """A student writing to a company: only into the thread its scout opened."""
        thread = await self.threads.find(company_id=company_id, candidate_id=principal.subject)
        if thread is None:
            raise refuse_student_start(company_id)
        return await self._send(thread, "candidate", principal, body=body, attachment_ids=attachment_ids)

    async def _send(self, thread: Thread, side: Side, principal: Principal, *, body: str,
                    attachment_ids: list[str]) -> Message:
        check_may_write(thread, side, company_active=await self.directory.company_active(thread.company_id))
        text = rules.clean_body(body, max_chars=self.settings.message_max_chars)
        if len(attachment_ids) > self.settings.attachments_per_message:
            raise MessageRejected(f"attachment_ids: at most {self.settings.attachments_per_message} per message")
        now = self.clock.now()
        await self._count_against_rate_limit(principal.subject, now)
        message = Message(message_id=str(uuid4()), thread_id=thread.thread_id, sender_role=side,
                          sender_id=principal.subject, body=text, attachment_ids=attachment_ids, sent_at=now)
        if attachment_ids and not await self.attachments.claim(
            attachment_ids, thread_id=thread.thread_id, uploader_id=principal.subject, message_id=message.message_id
        ):
            raise MessageRejected("attachment_ids: each must be your own unused upload in this thread")
        await self._store_with_event(thread, message)
        await self.threads.record_message(thread.thread_id, sender=side, at=now)
        return message

    async def _count_against_rate_limit(self, sender_id: str, now) -> None:
        window = self.settings.rate_limit_window_seconds
        start = rules.rate_window_start(now, window_seconds=window)
        if await self.directory.count_message(sender_id, start) > self.settings.rate_limit_messages:
            raise RateLimited(retry_after=max(1, start + window - int(now.timestamp())))

    async def _store_with_event(self, thread: Thread, message: Message) -> None:
        """The student's first reply publishes ReplyReceived, every other message MessageSent."""
        if message.sender_role == "candidate" and not thread.candidate_replied:
            replied = ReplyReceived(thread_id=thread.thread_id, message_id=message.message_id,
                                    company_id=thread.company_id, candidate_id=thread.candidate_id,
                                    scout_id=thread.scout_id, replied_at=message.sent_at,
                                    company_name=thread.company_name)
            try:
                await self.messages.add(message, candidate_id=thread.candidate_id,
                                        reply_key=first_reply_key(thread.thread_id),
                                        event=Envelope.wrap(replied, source=SOURCE))
                return
            except FirstReplyTaken:
                pass  # another message was first: this one is an ordinary message
        sent = MessageSent(thread_id=thread.thread_id, message_id=message.message_id, company_id=thread.company_id,
                           candidate_id=thread.candidate_id, sender_role=message.sender_role,
                           sender_id=message.sender_id, sent_at=message.sent_at, company_name=thread.company_name)
        await self.messages.add(message, candidate_id=thread.candidate_id, reply_key=message.message_id,
                                event=Envelope.wrap(sent, source=SOURCE))

    async def mark_read(self, principal: Principal, thread_id: str) -> int:
        """Read receipts for everything the other side wrote; the caller's unread count drops to 0."""
        _, side = await visible_thread(self.threads, thread_id, principal)
        count = await self.messages.mark_read(thread_id, reader=side, at=self.clock.now())
        await self.threads.mark_read(thread_id, side)
        return count

    async def set_archived(self, principal: Principal, thread_id: str, *, archived: bool) -> None:
        """Archive for the caller's side only; a new message brings the thread back."""
        _, side = await visible_thread(self.threads, thread_id, principal)
        await self.threads.update(thread_id, {archived_field(side): archived})

    async def set_blocked(self, principal: Principal, thread_id: str, *, blocked: bool) -> None:
        """The student blocks (or unblocks) the company of this thread."""
        _, side = await visible_thread(self.threads, thread_id, principal)
        require_side(side, "candidate", "block a company")
        await self.threads.update(thread_id, {"blocked_by_candidate": blocked})

    async def upload(self, principal: Principal, thread_id: str, *, filename: str | None, content_type: str,
                     data: bytes) -> dict[str, Any]:
        """Store an attachment for a later message in this thread (only by someone who may write)."""
        thread, side = await visible_thread(self.threads, thread_id, principal)
        check_may_write(thread, side, company_active=await self.directory.company_active(thread.company_id))
        rules.check_attachment(content_type=content_type, data=data, max_bytes=self.settings.attachment_max_bytes)
        attachment_id = uuid4().hex
        await self.store.put(attachment_id, data)
        metadata = {"attachment_id": attachment_id, "thread_id": thread_id, "uploader_id": principal.subject,
                    "uploader_role": side, "filename": rules.safe_filename(filename), "content_type": content_type,
                    "size": len(data), "uploaded_at": self.clock.now(), "message_id": None}
        await self.attachments.add(metadata)
        return metadata

    async def download(self, principal: Principal, thread_id: str, attachment_id: str) -> tuple[dict, bytes]:
        await visible_thread(self.threads, thread_id, principal)
        metadata = await self.attachments.get(attachment_id)
        if metadata is None or metadata["thread_id"] != thread_id:
            raise NotFound(f"no attachment {attachment_id} in this thread")
        data = await self.store.get(attachment_id)
        if data is None:  # erased with her profile between the two reads
            raise NotFound(f"no attachment {attachment_id} in this thread")
        return metadata, data

    async def ask_contact_preference(self, principal: Principal, thread_id: str) -> dict[str, Any]:
        """The company asks the student how she prefers to be contacted."""
        thread, side = await visible_thread(self.threads, thread_id, principal)
        require_side(side, "recruiter", "ask for the preferred contact channel")
        check_may_write(thread, side, company_active=await self.directory.company_active(thread.company_id))
        now = self.clock.now()
        question = {"question_id": str(uuid4()), "thread_id": thread_id, "company_id": thread.company_id,
                    "candidate_id": thread.candidate_id, "asked_by": principal.subject, "asked_at": now,
                    "answered_channel": None, "answered_at": None}
        asked = ContactPreferenceAsked(question_id=question["question_id"], thread_id=thread_id,
                                       company_id=thread.company_id, candidate_id=thread.candidate_id,
                                       company_name=thread.company_name, asked_at=now)
        await self.questions.add(question, Envelope.wrap(asked, source=SOURCE))
        return question

    async def list_questions(self, principal: Principal, thread_id: str) -> list[dict[str, Any]]:
        await visible_thread(self.threads, thread_id, principal)
        return await self.questions.list_for_thread(thread_id)

    async def answer_contact_preference(self, principal: Principal, question_id: str, channel: str) -> dict:
        """Her answer goes to the profile service first; it is saved here only once profile took it."""
        question = await self.questions.get(question_id)
        if question is None:
            raise NotFound(f"no question {question_id}")
        thread, side = await visible_thread(self.threads, question["thread_id"], principal)
        require_side(side, "candidate", "answer this question")
        if thread.status == "closed":
            raise NotYourMove("this conversation is closed")
        if question["answered_channel"] is not None:
            raise AlreadyAnswered(f"already answered: {question['answered_channel']}")
        await self.profile.set_preferred_channel(thread.candidate_id, channel)
        if not await self.questions.answer(question_id, channel, self.clock.now()):
            # another answer of hers was taken meanwhile, and its write to profile came before ours:
            # profile must end with the answer this question keeps
            taken = await self.questions.get(question_id)
            if taken is not None and taken["answered_channel"] not in (None, channel):
                await self.profile.set_preferred_channel(thread.candidate_id, taken["answered_channel"])
            raise AlreadyAnswered("already answered")
        return await self.questions.get(question_id) or question
