"""Signed-in recruiters, kept by the console (a backend for frontend): the browser holds only a
random session id in an HttpOnly cookie; the access token stays here, in the database.

A session is found by `_id` (the SHA-256 of the cookie's value, so a database dump cannot be
replayed as cookies), which is all our document store serves well. It ends when its access
token expires or after `session_seconds`, whichever comes first; an expired one is deleted
when it is next presented.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase

SESSIONS = "console_sessions"
SIGN_INS = "console_sign_ins"


def _key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    recruiter_id: str
    company_id: str
    name: str | None
    access_token: str
    csrf_token: str
    expires_at: datetime
    how: str  # "identity provider" or "development login"


@dataclass(frozen=True)
class PendingSignIn:
    """What the console keeps between sending her to the provider and her coming back."""

    state: str
    nonce: str
    code_verifier: str


class SessionStore:
    def __init__(self, db: AsyncDatabase, *, session_seconds: int, sign_in_seconds: int = 600) -> None:
        self._sessions = db[SESSIONS]
        self._sign_ins = db[SIGN_INS]
        self._session_seconds = session_seconds
        self._sign_in_seconds = sign_in_seconds

    async def open(self, *, recruiter_id: str, company_id: str, name: str | None, access_token: str,
                   token_expires_at: datetime, how: str) -> tuple[str, Session]:
        """A new session; returns the cookie's value and the session."""
        secret = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        session = Session(recruiter_id=recruiter_id, company_id=company_id, name=name, access_token=access_token,
                          csrf_token=secrets.token_urlsafe(24), how=how,
                          expires_at=min(token_expires_at, now + timedelta(seconds=self._session_seconds)))
        await self._sessions.insert_one({"_id": _key(secret), **session.__dict__})
        return secret, session

    async def find(self, secret: str | None) -> Session | None:
        if not secret:
            return None
        document = await self._sessions.find_one({"_id": _key(secret)})
        if document is None:
            return None
        document.pop("_id")
        session = Session(**document)
        if session.expires_at.replace(tzinfo=UTC) <= datetime.now(UTC):
            await self._sessions.delete_one({"_id": _key(secret)})
            return None
        return session

    async def close(self, secret: str | None) -> None:
        if secret:
            await self._sessions.delete_one({"_id": _key(secret)})

    async def begin_sign_in(self) -> PendingSignIn:
        pending = PendingSignIn(state=secrets.token_urlsafe(24), nonce=secrets.token_urlsafe(24),
                                code_verifier=secrets.token_urlsafe(48))
        expires = datetime.now(UTC) + timedelta(seconds=self._sign_in_seconds)
        await self._sign_ins.insert_one({"_id": _key(pending.state), "nonce": pending.nonce,
                                         "code_verifier": pending.code_verifier, "expires_at": expires})
        return pending

    async def finish_sign_in(self, state: str) -> PendingSignIn | None:
        """The pending sign-in of this state, once: a replayed answer finds nothing."""
        document = await self._sign_ins.find_one_and_delete({"_id": _key(state)})
        if document is None or document["expires_at"].replace(tzinfo=UTC) <= datetime.now(UTC):
            return None
        return PendingSignIn(state=state, nonce=document["nonce"], code_verifier=document["code_verifier"])
