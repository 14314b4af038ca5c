"""Single-document writes are atomic under concurrency, as in MongoDB.

FerretDB 1.24 alone loses concurrent updates of one document (its update is a
read then a write); infra/ferretdb serializes document-writing commands. Quotas,
capacities, caps and the outbox all depend on this."""

import asyncio

from tsunagu_shared import db as database
from tsunagu_shared.testing import mongo_url, unique_prefix


async def test_concurrent_increments_on_one_document_are_all_kept():
    mongo = database.connect(mongo_url())
    try:
        counters = mongo[unique_prefix().strip(".")]["counters"]
        await counters.insert_one({"_id": "c", "n": 0})
        await asyncio.gather(*[counters.update_one({"_id": "c"}, {"$inc": {"n": 1}}) for _ in range(60)])
        assert (await counters.find_one({"_id": "c"}))["n"] == 60
    finally:
        await mongo.close()


async def test_a_conditional_decrement_never_spends_more_than_there_is():
    mongo = database.connect(mongo_url())
    try:
        quotas = mongo[unique_prefix().strip(".")]["quotas"]
        await quotas.insert_one({"_id": "q", "left": 3})
        results = await asyncio.gather(*[
            quotas.find_one_and_update({"_id": "q", "left": {"$gt": 0}}, {"$inc": {"left": -1}}) for _ in range(40)
        ])
        assert sum(1 for r in results if r is not None) == 3
        assert (await quotas.find_one({"_id": "q"}))["left"] == 0
    finally:
        await mongo.close()
