"""The database as a view of the policy processor and the channel workers: what
`GET /recipients/{id}/decisions` and `/deliveries`, the webhooks (who has this address) and the
journeys read.

Filled by the projector from notify.policy-effects in batches. Every write is by `_id` and
idempotent, so a batch applied twice (the projector died before committing its offsets)
leaves the same documents."""

from typing import Any, Protocol

from pymongo import InsertOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from tsunagu_notify.adapters.repository import DECISIONS, DELIVERIES, RECIPIENTS, SCHEDULED
from tsunagu_notify.domain.delivery import DeliveryOutcome
from tsunagu_notify.domain.recipient import Effect

_DUPLICATE_KEY = 11000


class EffectViews(Protocol):
    """Where the projector shows effects (NotifyViews)."""

    async def apply(self, effects: list[Effect | DeliveryOutcome]) -> None: ...


class NotifyViews:
    def __init__(self, db: AsyncDatabase) -> None:
        self._recipients = db[RECIPIENTS]
        self._decisions = db[DECISIONS]
        self._scheduled = db[SCHEDULED]
        self._deliveries = db[DELIVERIES]

    async def apply(self, effects: list[Effect | DeliveryOutcome]) -> None:
        """Show these effects (in order per person): the policy's, then the channel workers' outcomes."""
        states: dict[str, ReplaceOne] = {}
        deferrals: dict[str, ReplaceOne] = {}
        decisions: dict[str, ReplaceOne] = {}
        deliveries: dict[str, dict[str, Any]] = {}
        outcomes: dict[str, dict[str, Any]] = {}
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
                    deliveries[effect.key] = _delivery_document(effect)
                case "delivery_outcome":
                    outcomes.setdefault(effect.key, {}).update(_outcome_fields(effect))
                case _:
                    afterwards.append(effect)
        for collection, writes in ((self._recipients, states), (self._scheduled, deferrals),
                                   (self._decisions, decisions)):
            if writes:
                await collection.bulk_write(list(writes.values()), ordered=False)
        await self._show_deliveries(deliveries, outcomes)
        for effect in afterwards:
            await self._erase(effect)

    async def _show_deliveries(self, deliveries: dict[str, dict[str, Any]],
                               outcomes: dict[str, dict[str, Any]]) -> None:
        """The delivery rows: requested ones inserted (as they ended, when their outcome came in the same
        batch), outcomes set on theirs."""
        for key, fields in outcomes.items():  # a delivery requested in this batch is inserted as it ended
            if key in deliveries:
                deliveries[key].update(fields)
        existed = await self._insert_new(list(deliveries.values()))  # inserted before: a replayed batch,
        # or a row an outcome made first: the request's own fields complete it, its outcome stays
        completed = [UpdateOne({"_id": key}, {"$set": {k: v for k, v in deliveries[key].items()
                                                       if k not in OUTCOME_FIELDS}})
                     for key in existed]
        # an outcome may be read before its request's row exists (a batch boundary): it makes the row
        updates = [UpdateOne({"_id": key}, {"$set": fields}, upsert=True) for key, fields in outcomes.items()
                   if key not in deliveries or key in existed]
        if completed or updates:
            await self._deliveries.bulk_write([*completed, *updates], ordered=False)

    async def _insert_new(self, documents: list[dict[str, Any]]) -> set[str]:
        """Insert the deliveries not created before (a replayed effect finds its delivery there)."""
        if not documents:
            return set()
        try:
            await self._deliveries.bulk_write([InsertOne(d) for d in documents], ordered=False)
            return set()
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != _DUPLICATE_KEY for e in errors):
                raise
            return {documents[e["index"]]["_id"] for e in errors}

    async def _erase(self, effect: Effect) -> None:
        """Her erasure: what identifies her goes from the views (her deliveries end as the channel
        worker cancels them; a pending delivery from an effect replayed later is cancelled here too)."""
        if effect.kind == "erased":
            rid = effect.recipient_id
            await self._deliveries.update_many({"recipient_id": rid, "status": {"$in": ["pending", "retrying"]}},
                                               {"$set": {"status": "cancelled", "cancelled_at": effect.at}})
            await self._deliveries.update_many({"recipient_id": rid}, {"$unset": {"address": "", "variables": ""}})
            await self._decisions.delete_many({"recipient_id": rid})
            await self._recipients.update_one({"_id": rid}, {"$set": {"erased_at": effect.at}})


# what an outcome sets on a delivery's row (a request's insert never overwrites them)
OUTCOME_FIELDS = {"_id", "status", "attempts", "next_attempt_at", "provider_message_id", "already_accepted",
                  "provider_code", "last_error", "sent_at", "failed_at", "retrying_at", "cancelled_at"}


def _delivery_document(effect) -> dict[str, Any]:
    return {"_id": effect.key, "intent_id": effect.intent_id, "recipient_id": effect.recipient_id,
            "channel": effect.channel, "template": effect.template, "category": effect.category,
            "company_id": effect.company_id, "variables": effect.variables, "created_at": effect.decided_at,
            "status": "pending", "attempts": 0, "traceparent": effect.traceparent, "tracestate": effect.tracestate}


def _outcome_fields(outcome) -> dict[str, Any]:
    """What a delivery's latest outcome shows: its status, attempts so far and the provider's answer."""
    fields: dict[str, Any] = {"status": outcome.status, "attempts": outcome.attempts,
                              f"{outcome.status}_at": outcome.at, "next_attempt_at": outcome.next_attempt_at}
    if outcome.provider_message_id is not None:
        fields["provider_message_id"] = outcome.provider_message_id
        fields["already_accepted"] = outcome.already_accepted
    if outcome.provider_code is not None:
        fields["provider_code"] = outcome.provider_code
    if outcome.error is not None:
        fields["last_error"] = outcome.error
    return fields
