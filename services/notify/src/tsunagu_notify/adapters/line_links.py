"""Where LINE account linking keeps its state: link tokens, nonces, the rich menu of each member
status, and each member's status and the menu she sees. Every lookup is by `_id`."""

from datetime import datetime
from typing import Any, Protocol

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from tsunagu_notify.domain.member_status import Member

TOKENS, NONCES, MENUS, MEMBERS = "line_link_tokens", "line_link_nonces", "line_rich_menus", "members"


class LineLinks(Protocol):
    """What LINE linking keeps (LineLinkStore): link tokens, nonces, members' statuses and menus."""

    async def keep_token(self, token: str, line_user_id: str, now: datetime) -> None: ...

    async def token_user(self, token: str) -> str | None: ...

    async def add_nonce(self, nonce: str, *, candidate_id: str, link_token: str, line_user_id: str,
                        expires_at: datetime) -> None: ...

    async def use_nonce(self, nonce: str, line_user_id: str, now: datetime) -> str | None: ...

    async def member(self, candidate_id: str) -> dict[str, Any]: ...

    async def keep_member(self, candidate_id: str, member: Member) -> None: ...

    async def menu_shown(self, candidate_id: str, status: str, line_user_id: str) -> None: ...

    async def menu_removed(self, candidate_id: str) -> None: ...

    async def menu_of(self, status: str) -> str | None: ...

    async def keep_menu(self, status: str, rich_menu_id: str) -> str: ...

    async def erase(self, candidate_id: str) -> None: ...


class LineLinkStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self._tokens, self._nonces = db[TOKENS], db[NONCES]
        self._menus, self._members = db[MENUS], db[MEMBERS]

    # --- link tokens and nonces ---
    async def keep_token(self, token: str, line_user_id: str, now: datetime) -> None:
        await self._tokens.replace_one({"_id": token}, {"line_user_id": line_user_id, "issued_at": now}, upsert=True)

    async def token_user(self, token: str) -> str | None:
        """The LINE user a link token was issued for, if we issued it."""
        doc = await self._tokens.find_one({"_id": token})
        return doc["line_user_id"] if doc else None

    async def add_nonce(self, nonce: str, *, candidate_id: str, link_token: str, line_user_id: str,
                        expires_at: datetime) -> None:
        await self._nonces.insert_one({"_id": nonce, "candidate_id": candidate_id, "link_token": link_token,
                                       "line_user_id": line_user_id, "used": False, "expires_at": expires_at})

    async def use_nonce(self, nonce: str, line_user_id: str, now: datetime) -> str | None:
        """Mark an unused, unexpired nonce of this LINE user used (one conditional write); its candidate."""
        doc = await self._nonces.find_one_and_update(
            {"_id": nonce, "used": False, "expires_at": {"$gt": now}, "line_user_id": line_user_id},
            {"$set": {"used": True, "used_at": now}}, return_document=ReturnDocument.AFTER)
        return doc["candidate_id"] if doc else None

    # --- member status and rich menus ---
    async def member(self, candidate_id: str) -> dict[str, Any]:
        return await self._members.find_one({"_id": candidate_id}) or {}

    async def keep_member(self, candidate_id: str, member: Member) -> None:
        await self._members.update_one({"_id": candidate_id},
                                       {"$set": {"status": member.status, "offers": list(member.offers)}}, upsert=True)

    async def menu_shown(self, candidate_id: str, status: str, line_user_id: str) -> None:
        await self._members.update_one({"_id": candidate_id},
                                       {"$set": {"menu_status": status, "menu_user": line_user_id}}, upsert=True)

    async def menu_removed(self, candidate_id: str) -> None:
        await self._members.update_one({"_id": candidate_id}, {"$unset": {"menu_status": ""}})

    async def menu_of(self, status: str) -> str | None:
        doc = await self._menus.find_one({"_id": status})
        return doc["rich_menu_id"] if doc else None

    async def keep_menu(self, status: str, rich_menu_id: str) -> str:
        """Remember the menu created for a status; the one kept first when another worker raced us."""
        try:
            await self._menus.insert_one({"_id": status, "rich_menu_id": rich_menu_id})
            return rich_menu_id
        except DuplicateKeyError:
            return (await self._menus.find_one({"_id": status}))["rich_menu_id"]

    async def erase(self, candidate_id: str) -> None:
        await self._members.delete_one({"_id": candidate_id})
        await self._nonces.delete_many({"candidate_id": candidate_id})
