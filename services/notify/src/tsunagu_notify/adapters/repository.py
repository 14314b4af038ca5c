"""Where notify keeps its state: a small protocol-free Mongo store, one collection per concern.

Per-recipient policy state is one document with a `version`. A change is compare-and-set
by a unique insert: the writer that loaded version v claims `<recipient>#<v+1>` in
`recipient_versions` (a primary-key insert; only one writer can win it) and then writes the
document by `_id` alone. (Unpatched FerretDB scanned the collection for `{_id, version}`; the
patched build does not, but a one-write `{_id, version}` compare-and-set showed no clear gain
over the claim: bench/micro_notify_save.py, docs/notify.md.) Two writers (the intent consumer and
the scheduler, or two consumers during a rebalance) can therefore never both count against
the same cap. The decision made is stored in that same write (`decided.<intent>`)
together with its events (outbox).
"""

from datetime import datetime, timedelta, timezone
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, WriteError

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.kafka.consumer import TransientError
from tsunagu_shared.outbox import new_document, outbox_collection, with_events

from tsunagu_notify.domain.model import Decision, Intent, RecipientState

RECIPIENTS, DECISIONS, SCHEDULED, DELIVERIES, INTENTS, RECEIPTS, CATALOG, CANCELLED, VERSIONS = (
    "recipients", "decisions", "scheduled", "deliveries", "intents", "webhook_receipts", "catalog",
    "cancelled_intents", "recipient_versions",
)
OUTBOX_COLLECTIONS = [RECIPIENTS, DELIVERIES, INTENTS]


# Decided-intent markers kept per recipient (newest first). A redelivered intent comes from a
# replay of at most one uncommitted consumer batch (<= 200 records) or from the scheduler's
# re-submission of the newest attempt, so older markers are never consulted again.
DECIDED_KEPT = 256
# A version claim whose write never followed within this time was left by a writer that died
# between its claim and its write (they are one round trip apart); the version is skipped.
STALE_CLAIM = timedelta(seconds=30)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class Conflict(TransientError):
    """Her document kept changing under this writer: worth retrying later (the consumer backs off)."""


def _key(intent_id: str) -> str:
    return intent_id.replace(".", "_").replace("$", "_")


class RecipientRecord:
    def __init__(self, state: RecipientState, version: int, decided: dict[str, dict], *, exists: bool = False) -> None:
        self.state, self.version, self.decided, self.exists = state, version, decided, exists

    def earlier_decision(self, intent: Intent) -> Decision | None:
        """The decision already taken for this intent at this attempt or a later one."""
        stored = self.decided.get(_key(intent.intent_id))
        if stored and stored.get("attempt", 0) >= intent.attempt:
            return Decision.model_validate(stored)
        return None


class NotifyStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db
        self.recipients = outbox_collection(db, RECIPIENTS)
        self.decisions = db[DECISIONS]
        self.scheduled = db[SCHEDULED]
        self.deliveries = outbox_collection(db, DELIVERIES)
        self.intents = outbox_collection(db, INTENTS)
        self.receipts = db[RECEIPTS]
        self.catalog = db[CATALOG]
        self.cancelled = db[CANCELLED]
        self.versions = db[VERSIONS]

    async def ensure_indexes(self) -> None:
        await self.decisions.create_index([("recipient_id", ASCENDING), ("decided_at", DESCENDING)])
        await self.scheduled.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
        await self.deliveries.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
        await self.recipients.create_index("state.channels.sms.address")
        await self.recipients.create_index("state.channels.email.address")
        await self.recipients.create_index("state.channels.line.address")

    # --- per-recipient state (compare-and-set by a unique version claim) ---
    async def load(self, recipient_id: str) -> RecipientRecord:
        doc = await self.recipients.find_one({"_id": recipient_id}, {"state": 1, "version": 1, "decided": 1})
        if not doc:
            return RecipientRecord(RecipientState(recipient_id=recipient_id), 0, {})
        state = RecipientState.model_validate(doc["state"]) if doc.get("state") else RecipientState(
            recipient_id=recipient_id)
        return RecipientRecord(state, doc.get("version", 0), doc.get("decided") or {}, exists=True)

    async def save(
        self, record: RecipientRecord, state: RecipientState, *, decision: Decision | None = None,
        events: tuple[Envelope, ...] = (),
    ) -> bool:
        """Store the new state if nobody changed it since `record` was loaded; False otherwise."""
        fields: dict[str, Any] = {"state": state.model_dump(mode="python")}
        if not record.exists:
            document = {"_id": state.recipient_id, "version": 1, **fields}
            if decision is not None:
                document["decided"] = {_key(decision.intent_id): decision.model_dump(mode="python")}
            try:
                await self.recipients.insert_one(new_document(document, *events))
                return True
            except DuplicateKeyError:
                return False
        version = await self._claim(state.recipient_id, record.version)
        if version is None:
            return False
        fields["version"] = version
        update: dict[str, Any] = {"$set": fields}
        if decision is not None:
            fields[f"decided.{_key(decision.intent_id)}"] = decision.model_dump(mode="python")
            pruned = _pruned_markers(record.decided, keep=DECIDED_KEPT - 1)
            if pruned:
                update["$unset"] = {f"decided.{k}": "" for k in pruned}
        try:
            await self.recipients.update_one({"_id": state.recipient_id}, with_events(update, *events))
        except WriteError:
            # refused, so not applied: give the version back rather than leave it to go stale
            await self.versions.delete_one({"_id": f"{state.recipient_id}#{version}"})
            raise
        return True

    async def _claim(self, recipient_id: str, loaded: int) -> int | None:
        """Win the next version of her document, or None when a live writer has it."""
        version = loaded + 1
        for _ in range(10):
            now = datetime.now(timezone.utc)
            try:
                await self.versions.insert_one({"_id": f"{recipient_id}#{version}", "at": now})
                return version
            except DuplicateKeyError:
                claim = await self.versions.find_one({"_id": f"{recipient_id}#{version}"})
                at = claim["at"].replace(tzinfo=timezone.utc) if claim and claim.get("at") else now
                if now - at < STALE_CLAIM:
                    return None
                version += 1  # its writer died before writing: that version never happened
        return None

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

    # --- deferred intents (written by `_id` only; found by a read-only sweep) ---
    async def schedule(self, intent: Intent, due_at: datetime) -> None:
        """Keep a deferred intent until it is due (never revive one cancelled by an erasure)."""
        existing = await self.scheduled.find_one({"_id": intent.intent_id}, {"status": 1})
        if existing and existing.get("status") == "cancelled":
            return
        await self.scheduled.replace_one(
            {"_id": intent.intent_id},
            {"recipient_id": intent.recipient_id, "due_at": due_at, "status": "pending",
             "intent": intent.model_dump(mode="python")},
            upsert=True,
        )

    async def due_scheduled(self, now: datetime, *, limit: int = 200) -> list[str]:
        """Ids of deferred intents due now (or whose claim expired), earliest first; a read."""
        cursor = self.scheduled.find(
            {"$or": [{"status": "pending", "due_at": {"$lte": now}},
                     {"status": "claimed", "lease_until": {"$lt": now}}]}, {"_id": 1, "due_at": 1}).limit(limit)
        return [d["_id"] for d in sorted(await cursor.to_list(), key=lambda d: d["due_at"])]

    async def claim_scheduled(self, intent_id: str, now: datetime, lease: timedelta, *,
                              due_only: bool = False) -> Intent | None:
        """Claim one waiting deferral (any due time unless `due_only`, e.g. to decide a cancellation).

        Two claimers racing on the same deferral both decide the same attempt, which the policy
        stage turns into one decision (its version claim) and idempotent repairs."""
        doc = await self.scheduled.find_one({"_id": intent_id})
        if doc is None:
            return None
        pending = doc["status"] == "pending" and (not due_only or doc["due_at"] <= now)
        expired = due_only and doc["status"] == "claimed" and doc.get("lease_until") and doc["lease_until"] < now
        if not (pending or expired):
            return None
        await self.scheduled.update_one({"_id": intent_id}, {"$set": {"status": "claimed", "lease_until": now + lease}})
        return Intent.model_validate(doc["intent"])

    async def finish_scheduled(self, intent: Intent) -> None:
        """Done, unless deciding it scheduled its next attempt in the same document meanwhile."""
        doc = await self.scheduled.find_one({"_id": intent.intent_id}, {"status": 1, "intent.attempt": 1})
        if doc and doc["status"] == "claimed" and doc["intent"]["attempt"] == intent.attempt:
            await self.scheduled.update_one({"_id": intent.intent_id}, {"$set": {"status": "done"}})

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
        erased = RecipientState(recipient_id=recipient_id)
        for _ in range(20):
            record = await self.load(recipient_id)
            if not record.exists:
                return
            version = await self._claim(recipient_id, record.version)
            if version is not None:
                await self.recipients.update_one({"_id": recipient_id}, {"$set": {
                    "state": erased.model_dump(mode="python"), "erased_at": now, "decided": {}, "version": version}})
                return
        raise Conflict(f"recipient {recipient_id} kept changing")


def _pruned_markers(decided: dict[str, dict], *, keep: int) -> list[str]:
    """The oldest decided-intent markers beyond the newest `keep`."""
    if len(decided) <= keep:
        return []
    newest_first = sorted(decided, key=lambda k: decided[k].get("decided_at") or _EPOCH, reverse=True)
    return newest_first[keep:]
