"""The database as a view of the policy processor: what `GET /recipients/{id}/decisions`, the
webhooks (who has this address), the channel worker and the journeys read.

Filled by the projector from notify.policy-effects in batches. Every write is by `_id` and
idempotent, so a batch applied twice (the projector died before committing its offsets)
leaves the same documents."""

from datetime import timedelta
from typing import Any

from pymongo import InsertOne, ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from tsunagu_notify.adapters.repository import DECISIONS, DELIVERIES, RECIPIENTS, SCHEDULED
from tsunagu_notify.domain.recipient import Effect

_DUPLICATE_KEY = 11000


class NotifyViews:
    def __init__(self, db: AsyncDatabase) -> None:
        self._recipients = db[RECIPIENTS]
        self._decisions = db[DECISIONS]
        self._scheduled = db[SCHEDULED]
        self._deliveries = db[DELIVERIES]

    async def apply(self, effects: list[Effect]) -> list[str]:
        """Show these effects (in order per person); the keys of deliveries created by them."""
        states: dict[str, ReplaceOne] = {}
        deferrals: dict[str, ReplaceOne] = {}
        decisions: dict[str, ReplaceOne] = {}
        deliveries: dict[str, InsertOne] = {}
        afterwards: list[Effect] = []
        for effect in effects:
            match effect.kind:
                case "state":
                    state = effect.state
                    states[state.recipient_id] = ReplaceOne(
                        {"_id": state.recipient_id}, {"state": state.model_dump(mode="python")}, upsert=True)
                case "deferral":
                    deferrals[effect.intent.intent_id] = ReplaceOne({"_id": effect.intent.intent_id}, {
                        "recipient_id": effect.recipient_id, "due_at": effect.due_at, "status": effect.status,
                        "intent": effect.intent.model_dump(mode="python")}, upsert=True)
                case "decision":
                    d = effect.decision
                    decisions[f"{d.intent_id}:{d.attempt}"] = ReplaceOne({"_id": f"{d.intent_id}:{d.attempt}"}, {
                        **d.model_dump(mode="python"), "template": effect.template, "category": effect.category,
                        "company_id": effect.company_id}, upsert=True)
                case "delivery":
                    deliveries[effect.key] = InsertOne(_delivery_document(effect))
                case _:
                    afterwards.append(effect)
        for collection, writes in ((self._recipients, states), (self._scheduled, deferrals),
                                   (self._decisions, decisions)):
            if writes:
                await collection.bulk_write(list(writes.values()), ordered=False)
        created = await self._insert_new(list(deliveries.values()))
        for effect in afterwards:
            await self._cancel_or_erase(effect)
        return [key for key in deliveries if key in created]

    async def _insert_new(self, inserts: list[InsertOne]) -> set[str]:
        """Insert the deliveries not created before (a replayed effect finds its delivery there)."""
        if not inserts:
            return set()
        keys = {op._doc["_id"] for op in inserts}
        try:
            await self._deliveries.bulk_write(inserts, ordered=False)
            return keys
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != _DUPLICATE_KEY for e in errors):
                raise
            return keys - {inserts[e["index"]]._doc["_id"] for e in errors}

    async def _cancel_or_erase(self, effect: Effect) -> None:
        if effect.kind == "deliveries_cancelled":
            query: dict[str, Any] = {"recipient_id": effect.recipient_id, "status": "pending"}
            if effect.intent_ids:
                query["intent_id"] = {"$in": list(effect.intent_ids)}
            if effect.channel:
                query["channel"] = effect.channel
            await self._deliveries.update_many(query, {"$set": {
                "status": "cancelled", "cancelled_at": effect.at, "last_error": effect.reason}})
        elif effect.kind == "erased":
            rid = effect.recipient_id
            await self._deliveries.update_many({"recipient_id": rid, "status": {"$in": ["pending", "sending"]}},
                                               {"$set": {"status": "cancelled", "cancelled_at": effect.at}})
            await self._deliveries.update_many({"recipient_id": rid}, {"$unset": {"address": "", "variables": ""}})
            await self._decisions.delete_many({"recipient_id": rid})
            await self._recipients.update_one({"_id": rid}, {"$set": {"erased_at": effect.at}})


def _delivery_document(effect) -> dict[str, Any]:
    return {"_id": effect.key, "intent_id": effect.intent_id, "recipient_id": effect.recipient_id,
            "channel": effect.channel, "template": effect.template, "category": effect.category,
            "company_id": effect.company_id, "variables": effect.variables, "created_at": effect.decided_at,
            "next_attempt_at": effect.decided_at - timedelta(seconds=1), "status": "pending", "attempts": 0,
            "traceparent": effect.traceparent, "tracestate": effect.tracestate}
