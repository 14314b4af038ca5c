"""Routes for threads, messages, attachments and the preferred-contact question.

Access: a student reaches only her threads, a recruiter only his company's.
A thread that is not the caller's answers 404, exactly like one that does not
exist, so nobody learns which conversations other parties have.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile, status
from tsunagu_shared.auth import CandidateUser, CurrentPrincipal, RecruiterUser
from tsunagu_shared.containers import container_of
from tsunagu_shared.files import attachment_disposition
from tsunagu_shared.request_bodies import body_limit
from tsunagu_shared.search_http import NEXT_CURSOR

from tsunagu_messaging.bootstrap import Container
from tsunagu_messaging.domain.threads import NotYourMove, refuse_student_start
from tsunagu_messaging.entrypoints.schemas import (
    AttachmentPublic,
    ContactAnswer,
    ContactQuestionPublic,
    MessageCreate,
    MessagePublic,
    ReadReceipt,
    ThreadOpen,
    ThreadPublic,
)
from tsunagu_messaging.handlers import Conversation

router = APIRouter(tags=["threads"])


def get_conversation(container: Annotated[Container, Depends(container_of(Container))]) -> Conversation:
    return container.conversation


Handlers = Annotated[Conversation, Depends(get_conversation)]


@router.get("/threads", response_model=list[ThreadPublic])
async def list_threads(user: CurrentPrincipal, handlers: Handlers, response: Response, archived: bool = False,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       cursor: Annotated[str | None, Query(max_length=500)] = None):
    """The caller's threads, newest activity first, with the caller's unread count.
    `archived=true` lists the ones the caller archived. A page of `limit`; when more follow, the
    `X-Next-Cursor` header holds the `cursor` of the next page. 503 while the search engine is away."""
    threads, next_cursor = await handlers.list_threads(user, archived=archived, cursor=cursor, limit=limit)
    if next_cursor:
        response.headers[NEXT_CURSOR] = next_cursor
    side = "candidate" if user.role == "candidate" else "recruiter"
    return [ThreadPublic.of(t, side) for t in threads]


@router.post("/threads", status_code=status.HTTP_403_FORBIDDEN, responses={403: {"description": "always"}})
async def open_thread(body: ThreadOpen, user: CurrentPrincipal):
    """Threads are never opened by hand: a scout (ScoutSent) or a mutual interest at a matching
    event opens them. A student can never start a conversation."""
    if user.role == "candidate":
        raise refuse_student_start(body.company_id or "this company")
    raise NotYourMove("a thread opens when your company sends a scout; send a scout to start a conversation")


@router.get("/threads/{thread_id}", response_model=ThreadPublic)
async def read_thread(thread_id: str, user: CurrentPrincipal, handlers: Handlers):
    """One thread the caller is a party to."""
    thread, side = await handlers.get_thread(user, thread_id)
    return ThreadPublic.of(thread, side)


@router.get("/threads/{thread_id}/messages", response_model=list[MessagePublic])
async def list_messages(thread_id: str, user: CurrentPrincipal, handlers: Handlers):
    """The messages of a thread, oldest first, with read receipts."""
    return await handlers.list_messages(user, thread_id)


@router.post("/threads/{thread_id}/messages", status_code=status.HTTP_201_CREATED, response_model=MessagePublic)
async def send_message(thread_id: str, body: MessageCreate, user: CurrentPrincipal, handlers: Handlers):
    """Write in a thread. The student's first reply publishes ReplyReceived, every other
    message MessageSent. 403 when this side may not write (blocked, declined, company gone,
    closed); 429 past the per-sender rate limit."""
    return await handlers.send(user, thread_id, body=body.body, attachment_ids=body.attachment_ids)


@router.post("/companies/{company_id}/messages", status_code=status.HTTP_201_CREATED, response_model=MessagePublic)
async def message_company(company_id: str, body: MessageCreate, user: CandidateUser, handlers: Handlers):
    """A student writes to a company: only into the thread its scout opened (403 otherwise)."""
    return await handlers.send_to_company(user, company_id, body=body.body, attachment_ids=body.attachment_ids)


@router.post("/threads/{thread_id}/read", response_model=ReadReceipt)
async def mark_read(thread_id: str, user: CurrentPrincipal, handlers: Handlers):
    """Mark everything the other side wrote as read now (read receipts); unread drops to 0."""
    return ReadReceipt(marked_read=await handlers.mark_read(user, thread_id))


@router.post("/threads/{thread_id}/archive", status_code=status.HTTP_204_NO_CONTENT)
async def archive(thread_id: str, user: CurrentPrincipal, handlers: Handlers) -> None:
    """Archive the thread for the caller's side; a new message brings it back."""
    await handlers.set_archived(user, thread_id, archived=True)


@router.post("/threads/{thread_id}/unarchive", status_code=status.HTTP_204_NO_CONTENT)
async def unarchive(thread_id: str, user: CurrentPrincipal, handlers: Handlers) -> None:
    """Bring an archived thread back to the caller's list."""
    await handlers.set_archived(user, thread_id, archived=False)


@router.post("/threads/{thread_id}/block", status_code=status.HTTP_204_NO_CONTENT)
async def block(thread_id: str, user: CandidateUser, handlers: Handlers) -> None:
    """The student blocks the company: it can send nothing more (nor can she, until she unblocks)."""
    await handlers.set_blocked(user, thread_id, blocked=True)


@router.post("/threads/{thread_id}/unblock", status_code=status.HTTP_204_NO_CONTENT)
async def unblock(thread_id: str, user: CandidateUser, handlers: Handlers) -> None:
    """The student lifts her block."""
    await handlers.set_blocked(user, thread_id, blocked=False)


@router.post("/threads/{thread_id}/attachments", status_code=status.HTTP_201_CREATED,
             response_model=AttachmentPublic, openapi_extra=body_limit("attachment_max_bytes"))
async def upload_attachment(thread_id: str, user: CurrentPrincipal, handlers: Handlers,
                            file: Annotated[UploadFile, File(description="PDF, PNG or JPEG")]):
    """Upload a file (PDF, PNG or JPEG, within the size limit) to reference from a message."""
    # One byte past the limit is enough to refuse the file without reading all of it.
    data = await file.read(handlers.settings.attachment_max_bytes + 1)
    return await handlers.upload(user, thread_id, filename=file.filename,
                                 content_type=(file.content_type or "").lower(), data=data)


@router.get("/threads/{thread_id}/attachments/{attachment_id}")
async def download_attachment(thread_id: str, attachment_id: str, user: CurrentPrincipal, handlers: Handlers):
    """The bytes of an attachment, to the parties of its thread only."""
    metadata, data = await handlers.download(user, thread_id, attachment_id)
    return Response(data, media_type=metadata["content_type"], headers={
        "Content-Disposition": attachment_disposition(metadata["filename"]),
        "X-Content-Type-Options": "nosniff"})


@router.post("/threads/{thread_id}/contact-questions", status_code=status.HTTP_201_CREATED,
             response_model=ContactQuestionPublic)
async def ask_contact_preference(thread_id: str, user: RecruiterUser, handlers: Handlers):
    """The company asks the student how she prefers to be contacted (ContactPreferenceAsked)."""
    return await handlers.ask_contact_preference(user, thread_id)


@router.get("/threads/{thread_id}/contact-questions", response_model=list[ContactQuestionPublic])
async def list_contact_questions(thread_id: str, user: CurrentPrincipal, handlers: Handlers):
    """The preferred-contact questions of a thread and their answers."""
    return await handlers.list_questions(user, thread_id)


@router.post("/contact-questions/{question_id}/answer", response_model=ContactQuestionPublic)
async def answer_contact_preference(question_id: str, body: ContactAnswer, user: CandidateUser,
                                    handlers: Handlers):
    """The student answers with a channel; her profile's preferred channel is updated through the
    profile service. 503 (nothing saved) when the profile service cannot take it now."""
    return await handlers.answer_contact_preference(user, question_id, body.channel)
