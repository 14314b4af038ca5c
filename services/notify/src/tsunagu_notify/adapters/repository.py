"""Where notify keeps its state: a small protocol-free Mongo store, one collection per concern.

Per-recipient policy state is one document with a `version`: every change is a
conditional single-document update (compare-and-set), so two writers (the intent
consumer and the scheduler, or two consumers during a rebalance) can never both
count against the same cap. The decision made is stored in that same write
(`decided.<intent>`) together with its events (outbox).
"""

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import new_document, with_events

from tsunagu_notify.domain.model import Decision, Intent, RecipientState

RECIPIENTS, DECISIONS, SCHEDULED, DELIVERIES, INTENTS, RECEIPTS, CATALOG, CANCELLED = (
    "recipients", "decisions", "scheduled", "deliveries", "intents", "webhook_receipts", "catalog",
    "cancelled_intents",
)
OUTBOX_COLLECTIONS = [RECIPIENTS, DELIVERIES, INTENTS]


def _key(intent_id: str) -> str:
    return intent_id.replace(".", "_").replace("$", "_")


class RecipientRecord:
    def __init__(self, state: RecipientState, version: int, decided: dict[str, dict]) -> None:
        self.state, self.version, self.decided = state, version, decided

    def earlier_decision(self, intent: Intent) -> Decision | None:
        """The decision already taken for this intent at this attempt or a later one."""
        stored = self.decided.get(_key(intent.intent_id))
        if stored and stored.get("attempt", 0) >= intent.attempt:
            return Decision.model_validate(stored)
        return None


class NotifyStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db
        self.recipients = db[RECIPIENTS]
        self.decisions = db[DECISIONS]
        self.scheduled = db[SCHEDULED]
        self.deliveries = db[DELIVERIES]
        self.intents = db[INTENTS]
        self.receipts = db[RECEIPTS]
        self.catalog = db[CATALOG]
        self.cancelled = db[CANCELLED]

    async def ensure_indexes(self) -> None:
        await self.decisions.create_index([("recipient_id", ASCENDING), ("decided_at", DESCENDING)])
        await self.scheduled.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
        await self.deliveries.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
        await self.recipients.create_index("state.channels.sms.address")
        await self.recipients.create_index("state.channels.email.address")
        await self.recipients.create_index("state.channels.line.address")

    # --- per-recipient state (compare-and-set) ---
    async def load(self, recipient_id: str) -> RecipientRecord:
        doc = await self.recipients.find_one({"_id": recipient_id}, {"state": 1, "version": 1, "decided": 1})
        if not doc:
            return RecipientRecord(RecipientState(recipient_id=recipient_id), 0, {})
        return RecipientRecord(RecipientState.model_validate(doc["state"]), doc["version"], doc.get("decided") or {})

    async def save(
        self, record: RecipientRecord, state: RecipientState, *, decision: Decision | None = None,
        events: tuple[Envelope, ...] = (),
    ) -> bool:
        """Store the new state if nobody changed it since `record` was loaded; False otherwise."""
        fields: dict[str, Any] = {"state": state.model_dump(mode="python"), "version": record.version + 1}
        if decision is not None:
            fields[f"decided.{_key(decision.intent_id)}"] = decision.model_dump(mode="python")
        if record.version == 0:
            document = {"_id": state.recipient_id, **fields}
            if decision is not None:
                document.pop(f"decided.{_key(decision.intent_id)}")
                document["decided"] = {_key(decision.intent_id): decision.model_dump(mode="python")}
            try:
                await self.recipients.insert_one(new_document(document, *events))
                return True
            except DuplicateKeyError:
                return False
        result = await self.recipients.update_one(
            {"_id": state.recipient_id, "version": record.version}, with_events({"$set": fields}, *events)
        )
        return result.matched_count == 1

    async def find_by_address(self, channel: str, address: str) -> str | None:
        doc = await self.recipients.find_one({f"state.channels.{channel}.address": address}, {"_id": 1})
        return doc["_id"] if doc else None

    # --- decisions (the queryable log) ---
    async def record_decision(self, decision: Decision, intent: Intent) -> None:
        document = {
            **decision.model_dump(mode="python"), "template": intent.template, "category": intent.category,
            "company_id": intent.company_id,
        }
        await self.decisions.replace_one({"_id": f"{decision.intent_id}:{decision.attempt}"}, document, upsert=True)

    async def decisions_of(self, recipient_id: str, *, limit: int = 100) -> list[dict]:
        cursor = self.decisions.find({"recipient_id": recipient_id}).sort("decided_at", DESCENDING).limit(limit)
        return [doc async for doc in cursor]

    # --- deferred intents ---
    async def schedule(self, intent: Intent, due_at: datetime) -> None:
        """Keep a deferred intent until it is due (never revive one cancelled by an erasure)."""
        if await self.scheduled.find_one({"_id": intent.intent_id, "status": "cancelled"}, {"_id": 1}):
            return
        await self.scheduled.replace_one(
            {"_id": intent.intent_id},
            {"recipient_id": intent.recipient_id, "due_at": due_at, "status": "pending",
             "intent": intent.model_dump(mode="python")},
            upsert=True,
        )

    async def claim_due(self, now: datetime, lease: timedelta) -> Intent | None:
        doc = await self.scheduled.find_one_and_update(
            {"$or": [{"status": "pending", "due_at": {"$lte": now}},
                     {"status": "claimed", "lease_until": {"$lt": now}}]},
            {"$set": {"status": "claimed", "lease_until": now + lease}},
            sort=[("due_at", ASCENDING)], return_document=ReturnDocument.AFTER,
        )
        return Intent.model_validate(doc["intent"]) if doc else None

    async def claim_scheduled(self, intent_id: str, now: datetime, lease: timedelta) -> Intent | None:
        """Claim one waiting deferral at once, whatever its due time (used to decide a cancellation)."""
        doc = await self.scheduled.find_one_and_update(
            {"_id": intent_id, "status": "pending"}, {"$set": {"status": "claimed", "lease_until": now + lease}},
            return_document=ReturnDocument.AFTER,
        )
        return Intent.model_validate(doc["intent"]) if doc else None

    async def finish_scheduled(self, intent: Intent) -> None:
        await self.scheduled.update_one(
            {"_id": intent.intent_id, "status": "claimed", "intent.attempt": intent.attempt}, {"$set": {"status": "done"}}
        )

    # --- cancelled intents (NotificationCancelled, journey goals) ---
    async def cancel_intents(self, recipient_id: str, intent_ids: list[str], reason: str, now: datetime) -> None:
        """Mark intents cancelled; their waiting deferrals fall due now so the policy records `cancelled`."""
        for intent_id in intent_ids:
            await self.cancelled.update_one({"_id": intent_id},
                                            {"$setOnInsert": {"recipient_id": recipient_id, "reason": reason, "at": now}},
                                            upsert=True)
        await self.scheduled.update_many({"_id": {"$in": intent_ids}, "status": "pending"}, {"$set": {"due_at": now}})
        await self.deliveries.update_many({"intent_id": {"$in": intent_ids}, "status": "pending"},
                                          {"$set": {"status": "cancelled", "cancelled_at": now, "last_error": reason}})

    async def cancellation_of(self, intent_id: str) -> str | None:
        doc = await self.cancelled.find_one({"_id": intent_id})
        return doc["reason"] if doc else None

    # --- stage 1: intents published through the outbox ---
    async def request_intent(self, intent_id: str, envelope: Envelope) -> None:
        try:
            await self.intents.insert_one(new_document({"_id": intent_id}, envelope))
        except DuplicateKeyError:
            pass  # the same event seen again: its intent already exists

    # --- inbound webhooks dedupe ---
    async def first_time(self, key: str, now: datetime) -> bool:
        try:
            await self.receipts.insert_one({"_id": key, "at": now})
            return True
        except DuplicateKeyError:
            return False

    # --- names other events lack (company names, event titles) ---
    async def remember_name(self, key: str, name: str) -> None:
        await self.catalog.replace_one({"_id": key}, {"name": name}, upsert=True)

    async def name_of(self, key: str) -> str | None:
        doc = await self.catalog.find_one({"_id": key})
        return doc["name"] if doc else None

    # --- erasure (ProfileDeleted) ---
    async def erase(self, recipient_id: str, now: datetime) -> None:
        """Forget her contact data and decisions; stop everything pending for her."""
        await self.scheduled.update_many({"recipient_id": recipient_id, "status": {"$in": ["pending", "claimed"]}},
                                         {"$set": {"status": "cancelled", "intent.variables": {}}})
        await self.deliveries.update_many({"recipient_id": recipient_id, "status": {"$in": ["pending", "sending"]}},
                                          {"$set": {"status": "cancelled", "cancelled_at": now}})
        await self.deliveries.update_many({"recipient_id": recipient_id}, {"$unset": {"address": "", "variables": ""}})
        await self.decisions.delete_many({"recipient_id": recipient_id})
        erased = RecipientState(recipient_id=recipient_id).model_dump(mode="python")
        await self.recipients.update_one({"_id": recipient_id},
                                         {"$set": {"state": erased, "erased_at": now, "decided": {}},
                                          "$inc": {"version": 1}})
