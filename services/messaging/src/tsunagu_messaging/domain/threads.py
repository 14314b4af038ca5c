"""Threads between a company and a candidate: who may see one, who may write in it.

A thread exists only after a scout (or a mutual interest at a matching event);
a student can never open one. Once open, both sides write, unless the student
blocked the company, declined its scout, the company left the platform, or the
thread was closed (her profile was deleted).
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from tsunagu_shared.auth import Principal

Side = Literal["candidate", "recruiter"]


class ThreadNotVisible(Exception):
    """The caller is not a party to the thread (answered as 404: existence is not leaked)."""


class SendingRefused(Exception):
    """The caller may see the thread but may not write in it now; the message says why."""


class NotYourMove(Exception):
    """This side of the thread may not take this action (e.g. a student proposing an interview)."""


class StudentCannotStart(Exception):
    """A student tried to write to a company that has not scouted her."""


class Thread(BaseModel):
    thread_id: str
    company_id: str
    candidate_id: str
    company_name: str | None = None
    recruiter_id: str | None = None
    recruiter_name: str | None = None
    scout_id: str | None = None
    opened_by: Literal["scout", "mutual_interest"]
    opened_at: datetime
    status: Literal["open", "closed"] = "open"
    closed_reason: str | None = None
    blocked_by_candidate: bool = False
    scout_declined: bool = False
    candidate_replied: bool = False
    archived_by_candidate: bool = False
    archived_by_company: bool = False
    unread_candidate: int = 0
    unread_company: int = 0
    last_message_at: datetime | None = None


def side_of(thread: Thread, principal: Principal) -> Side:
    """The caller's side in this thread; ThreadNotVisible when she or he is not a party.

    A candidate sees only her own threads (token subject = candidate id); a
    recruiter only his company's (token company_id). Admins and services read
    threads through no route here."""
    if principal.role == "candidate" and principal.subject == thread.candidate_id:
        return "candidate"
    if principal.role == "recruiter" and principal.company_id == thread.company_id:
        return "recruiter"
    raise ThreadNotVisible(thread.thread_id)


def check_may_write(thread: Thread, side: Side, *, company_active: bool) -> None:
    """Raise SendingRefused when this side may not write in the thread now."""
    if thread.status == "closed":
        raise SendingRefused(f"this conversation is closed ({thread.closed_reason or 'closed'})")
    if side == "candidate":
        if thread.blocked_by_candidate:
            raise SendingRefused("you blocked this company; unblock it to write again")
        return
    if thread.blocked_by_candidate:
        raise SendingRefused("the student blocked your company: nothing more can be sent to her")
    if thread.scout_declined:
        raise SendingRefused("the student declined your scout: nothing more can be sent in this thread")
    if not company_active:
        raise SendingRefused("your company is not active on Tsunagu: nothing can be sent")


def refuse_student_start(company_id: str) -> StudentCannotStart:
    """The error a student gets when she tries to open a conversation."""
    return StudentCannotStart(
        f"a student cannot start a conversation: company {company_id} has not scouted you. "
        "A thread opens when a company sends you a scout."
    )


def unread_field(recipient: Side) -> str:
    return "unread_candidate" if recipient == "candidate" else "unread_company"


def archived_field(side: Side) -> str:
    return "archived_by_candidate" if side == "candidate" else "archived_by_company"


def other(side: Side) -> Side:
    return "recruiter" if side == "candidate" else "candidate"


def require_side(side: Side, wanted: Side, action: str) -> None:
    """NotYourMove unless the caller is on the side that may take this action."""
    if side != wanted:
        who = "the student" if wanted == "candidate" else "the company"
        raise NotYourMove(f"only {who} can {action}")
