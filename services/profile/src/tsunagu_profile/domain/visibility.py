"""Who may see a profile. Pure: the caller's role and what we know of her company.

- the student herself: her own profile only;
- a recruiter: only while her company is an active participant and she is registered
  with it and active (RecruiterChanged from scout; an id the company never registered is
  refused, as scout refuses it); never a student who blocked her company (404, as if absent);
- a `service` (or admin) token: may read, for other Tsunagu services;
- anyone else (another student): nothing; anonymous callers are refused by auth.
"""

from dataclasses import dataclass
from enum import Enum


class Access(Enum):
    ALLOWED = "allowed"
    NOT_OWNER = "not_owner"  # answered 404: another student learns nothing, not even existence
    COMPANY_NOT_ACTIVE = "company_not_active"  # answered 403
    RECRUITER_NOT_ACTIVE = "recruiter_not_active"  # answered 403
    RECRUITER_NOT_REGISTERED = "recruiter_not_registered"  # answered 403
    BLOCKED = "blocked"  # answered 404: the company she blocked learns nothing, not even existence
    ROLE = "role"  # answered 403


@dataclass(frozen=True)
class RecruiterStanding:
    """What the company directory knows of a recruiter's company and of her."""

    company_active: bool
    recruiter_known: bool = False
    recruiter_active: bool = False
    recruiter_company_id: str | None = None


def recruiter_access(company_id: str, standing: RecruiterStanding) -> Access:
    """May this recruiter see profiles at all (reads and search)?"""
    if not standing.company_active:
        return Access.COMPANY_NOT_ACTIVE
    if not standing.recruiter_known:
        return Access.RECRUITER_NOT_REGISTERED
    if not standing.recruiter_active or standing.recruiter_company_id != company_id:
        return Access.RECRUITER_NOT_ACTIVE
    return Access.ALLOWED


def profile_access(company_id: str, blocked_companies: list[str]) -> Access:
    """May a recruiter of this company read this student's profile? Not when she blocked it."""
    return Access.BLOCKED if company_id in blocked_companies else Access.ALLOWED


def candidate_access(subject: str, candidate_id: str) -> Access:
    """A student sees only her own profile."""
    return Access.ALLOWED if subject == candidate_id else Access.NOT_OWNER
