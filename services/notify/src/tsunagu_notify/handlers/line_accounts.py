"""LINE account linking (link token, nonce, accountLink webhook), unlinking, and the rich menu
per member status. The LINE user id <-> candidate id mapping lives only here, in notify."""

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from tsunagu_shared.clock import Clock
from tsunagu_shared.events import DomainEvent, ProfileDeleted
from tsunagu_shared.kafka.consumer import PermanentError, TransientError

from tsunagu_notify.adapters.line_account import LineAccountApi
from tsunagu_notify.adapters.line_links import LineLinks
from tsunagu_notify.adapters.recipient_stream import ChangeRequests
from tsunagu_notify.adapters.repository import RecipientViews
from tsunagu_notify.domain.journeys.signals import line_signal
from tsunagu_notify.domain.member_status import Member, after, concerns
from tsunagu_notify.domain.recipient import RecipientChange

NONCE_LIFETIME = timedelta(minutes=10)
ACCOUNT_LINK_URL = "https://access.line.me/dialog/bot/accountLink"


class LinkRefused(Exception):
    """The link token or nonce is unknown, used, expired, or not hers."""


class LineUserRefused(Exception):
    """LINE refused to issue a link token for this LINE user id."""


class LineUnavailable(Exception):
    """LINE did not answer now; asking again shortly may succeed."""


class NoLineLink(Exception):
    """There is nothing to link or unlink: notify does not know her, or no LINE account is linked."""


@dataclass
class LineAccounts:
    links: LineLinks
    store: RecipientViews
    changes: ChangeRequests
    api: LineAccountApi
    clock: Clock
    on_signal: object  # JourneyEngine.on_signal

    # --- the link-token flow ---
    async def issue_link_token(self, line_user_id: str) -> str:
        """Ask LINE for a one-time link token for this LINE user (the bot sends her the login link with it)."""
        try:
            token = await self.api.issue_link_token(line_user_id)
        except PermanentError as exc:
            raise LineUserRefused(str(exc)) from exc
        except TransientError as exc:
            raise LineUnavailable(str(exc)) from exc
        await self.links.keep_token(token, line_user_id, self.clock.now())
        return token

    async def issue_nonce(self, candidate_id: str, link_token: str) -> tuple[str, str]:
        """She logged in with a link token: a nonce bound to her and that token, and LINE's redirect URL."""
        line_user_id = await self.links.token_user(link_token)
        if line_user_id is None:
            raise LinkRefused("unknown link token")
        nonce = secrets.token_urlsafe(24)
        await self.links.add_nonce(nonce, candidate_id=candidate_id, link_token=link_token, line_user_id=line_user_id,
                                   expires_at=self.clock.now() + NONCE_LIFETIME)
        return nonce, f"{ACCOUNT_LINK_URL}?linkToken={link_token}&nonce={nonce}"

    async def account_link(self, line_user_id: str, nonce: str, result: str) -> str:
        """The accountLink webhook: link only for a nonce we issued, unused, unexpired, for this LINE user."""
        if result != "ok":
            return "failed"
        candidate_id = await self.links.use_nonce(nonce, line_user_id, self.clock.now())
        if candidate_id is None:
            return "refused"
        return "linked" if await self.link(candidate_id, line_user_id, source="account_link") else "refused"

    async def link(self, candidate_id: str, line_user_id: str, *, source: str) -> bool:
        """Store the mapping (LINE consent), start her welcome journey, show her status menu;
        False when notify does not know her."""
        if not (await self.store.load(candidate_id)).state.known:
            return False
        now = self.clock.now()
        await self.changes.request(RecipientChange(
            change_id=f"line-link:{uuid.uuid4()}", recipient_id=candidate_id, kind="line_linked", at=now,
            line_user_id=line_user_id, source=source))
        await self.on_signal(line_signal("LineAccountLinked", candidate_id, now, f"link:{candidate_id}:{line_user_id}"))
        await self.show_status_menu(candidate_id, line_user_id)
        return True

    async def unlink(self, candidate_id: str) -> bool:
        """Forget her LINE user id; LINE messages and her LINE journey stop; the menu is removed."""
        line_user_id = (await self.store.load(candidate_id)).state.channel("line").address
        if not line_user_id:
            return False
        now = self.clock.now()
        await self.changes.request(RecipientChange(
            change_id=f"line-unlink:{uuid.uuid4()}", recipient_id=candidate_id, kind="line_unlinked", at=now))
        await self.on_signal(line_signal("LineAccountUnlinked", candidate_id, now, f"unlink:{uuid.uuid4()}"))
        await self.api.remove_menu(line_user_id)
        await self.links.menu_removed(candidate_id)
        return True

    # --- rich menu per member status ---
    async def on_event(self, event: DomainEvent) -> None:
        """A status-changing event: keep her member status, and switch her LINE menu if it changed."""
        if isinstance(event, ProfileDeleted):
            await self.erase(event.candidate_id)
            return
        candidate_id = concerns(event)
        if candidate_id is None:
            return
        doc = await self.links.member(candidate_id)
        member = after(Member(status=doc.get("status", "registered"), offers=tuple(doc.get("offers", ()))), event)
        await self.links.keep_member(candidate_id, member)
        await self.show_status_menu(candidate_id)

    async def show_status_menu(self, candidate_id: str, line_user_id: str | None = None) -> None:
        """Link the menu of her current status to her LINE account (idempotent; nothing when unlinked).

        `line_user_id`: the account just linked (the view of her state may not show it yet)."""
        line_user_id = line_user_id or (await self.store.load(candidate_id)).state.channel("line").address
        if not line_user_id:
            return
        doc = await self.links.member(candidate_id)
        status = doc.get("status", "registered")
        if doc.get("menu_status") == status and doc.get("menu_user") == line_user_id:
            return
        await self.api.show_menu(line_user_id, await self._menu_id(status))
        await self.links.menu_shown(candidate_id, status, line_user_id)

    async def member_status(self, candidate_id: str) -> dict:
        doc = await self.links.member(candidate_id)
        return {"status": doc.get("status", "registered"), "menu_status": doc.get("menu_status")}

    async def _menu_id(self, status: str) -> str:
        known = await self.links.menu_of(status)
        return known or await self.links.keep_menu(status, await self.api.create_menu(status))

    async def erase(self, candidate_id: str) -> None:
        doc = await self.links.member(candidate_id)
        if doc.get("menu_user"):
            await self.api.remove_menu(doc["menu_user"])
        await self.links.erase(candidate_id)
