"""Where notify keeps what is not owned by the policy processor, and reads its views.

Her policy state is owned by the worker of her partition (handlers/policy.py) and durable in
Kafka; `recipients`, `decisions` and `scheduled` are views of it that the projector fills
(adapters/views.py). What is kept here: intents requested through the outbox, webhook
receipts, names other events lack.
"""

from datetime import datetime
from typing import Protocol

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import new_document, outbox_collection

from tsunagu_notify.domain.model import RecipientState

RECIPIENTS, DECISIONS, SCHEDULED, DELIVERIES, INTENTS, RECEIPTS, CATALOG, SEGMENT_SENDS = (
    "recipients", "decisions", "scheduled", "deliveries", "intents", "webhook_receipts", "catalog", "segment_sends",
)
OUTBOX_COLLECTIONS = [DELIVERIES, INTENTS]


class SendLedger(Protocol):
    """What a segment send needs kept (NotifyStore): company names, whose each send id is, the intents."""

    async def name_of(self, key: str) -> str | None: ...

    async def claim_send(self, send_id: str, fingerprint: str, now: datetime) -> bool: ...

    async def request_intents(self, envelopes: list[Envelope]) -> None: ...


class RecipientView:
    """Her state as the projector last showed it (a few hundred milliseconds behind her owner)."""

    def __init__(self, state: RecipientState, *, exists: bool = False) -> None:
        self.state, self.exists = state, exists


class RecipientViews(Protocol):
    """Her state as the views show it (NotifyStore)."""

    async def load(self, recipient_id: str) -> RecipientView: ...


class SignalStore(RecipientViews, Protocol):
    """What provider signals read and keep (NotifyStore): her by address, and each webhook receipt once."""

    async def find_by_address(self, channel: str, address: str) -> str | None: ...

    async def first_time(self, key: str, now: datetime) -> bool: ...


class NotifyStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db
        self.recipients = db[RECIPIENTS]
        self.decisions = db[DECISIONS]
        self.scheduled = db[SCHEDULED]
        self.deliveries = outbox_collection(db, DELIVERIES)
        self.intents = outbox_collection(db, INTENTS)
        self.receipts = db[RECEIPTS]
        self.catalog = db[CATALOG]
        self.segment_sends = db[SEGMENT_SENDS]

    async def ensure_indexes(self) -> None:
        await self.decisions.create_index([("recipient_id", ASCENDING), ("decided_at", DESCENDING)])
        await self.scheduled.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
        await self.deliveries.create_index([("recipient_id", ASCENDING), ("created_at", DESCENDING)])
        await self.recipients.create_index("state.channels.sms.address")
        await self.recipients.create_index("state.channels.email.address")
        await self.recipients.create_index("state.channels.line.address")

    # --- the views of her state ---
    async def load(self, recipient_id: str) -> RecipientView:
        doc = await self.recipients.find_one({"_id": recipient_id}, {"state": 1})
        if not doc or not doc.get("state"):
            return RecipientView(RecipientState(recipient_id=recipient_id))
        return RecipientView(RecipientState.model_validate(doc["state"]), exists=True)

    async def find_by_address(self, channel: str, address: str) -> str | None:
        doc = await self.recipients.find_one({f"state.channels.{channel}.address": address}, {"_id": 1})
        return doc["_id"] if doc else None

    # --- decisions (the queryable log) ---
    async def decisions_of(self, recipient_id: str, *, limit: int = 100) -> list[dict]:
        cursor = self.decisions.find({"recipient_id": recipient_id}).sort("decided_at", DESCENDING).limit(limit)
        return [doc async for doc in cursor]

    async def deliveries_of(self, recipient_id: str, *, limit: int = 100) -> list[dict]:
        cursor = self.deliveries.find({"recipient_id": recipient_id}, {"_outbox": 0}).sort(
            "created_at", DESCENDING).limit(limit)
        return [doc async for doc in cursor]

    # --- stage 1: intents published through the outbox ---
    async def request_intent(self, intent_id: str, envelope: Envelope) -> None:
        try:
            await self.intents.insert_one(new_document({"_id": intent_id}, envelope))
        except DuplicateKeyError:
            pass  # the same event seen again: its intent already exists

    async def request_intents(self, envelopes: list[Envelope]) -> None:
        """Many intents at once (a segment send), each stored under its intent id; repeats are skipped."""
        try:
            await self.intents.insert_many([new_document({"_id": e.data["intent_id"]}, e) for e in envelopes],
                                           ordered=False)
        except BulkWriteError as exc:
            if any(error.get("code") != 11000 for error in exc.details.get("writeErrors", [])):
                raise  # anything but "requested already by an earlier attempt of the same send"

    # --- inbound webhooks dedupe ---
    async def first_time(self, key: str, now: datetime) -> bool:
        try:
            await self.receipts.insert_one({"_id": key, "at": now})
            return True
        except DuplicateKeyError:
            return False

    # --- segment sends: whose each send id is ---
    async def claim_send(self, send_id: str, fingerprint: str, now: datetime) -> bool:
        """Keep this send id for this send; False when it already names another send (another
        company's, or other people or words), True for the first request and its retries."""
        try:
            await self.segment_sends.insert_one({"_id": send_id, "fingerprint": fingerprint, "at": now})
            return True
        except DuplicateKeyError:
            doc = await self.segment_sends.find_one({"_id": send_id}, {"fingerprint": 1})
            return bool(doc) and doc.get("fingerprint") == fingerprint

    # --- names other events lack (company names, event titles) ---
    async def remember_name(self, key: str, name: str) -> None:
        await self.catalog.replace_one({"_id": key}, {"name": name}, upsert=True)

    async def name_of(self, key: str) -> str | None:
        doc = await self.catalog.find_one({"_id": key})
        return doc["name"] if doc else None
