"""Recruiter search at a season's volume: the profile service's search (OpenSearch behind it)
under 16 concurrent recruiters versus the same queries sent bare to OpenSearch, the rebuild
of the index from the store, and the lag from a profile change to search finding it, split
into the outbox relay's part (change answered → event on Kafka) and the projector's (event
on Kafka → searchable), versus the engine's own write-to-searchable time.

BENCH_SEARCH_STORE_PROFILES (20,000) profiles are bulk-written to the store (no events) and
indexed by the rebuild command's code; then the index is bulk-filled to BENCH_SEARCH_PROFILES
(100,000) with the documents the projector writes (bulk requests straight to OpenSearch: loading
the whole season through the store and the rebuild is too slow for a shared machine). The lag
is measured on changes of stored profiles: the outbox relay finds them through its markers and
reads each by `_id`, so the store's size should not show in it (it did while the relay searched
the collection for pending events). BENCH_SEARCH_REQUESTS, BENCH_SEARCH_SECONDS and
BENCH_HTTP_CONCURRENCY (16) bound the load; BENCH_SEARCH_LAG_SAMPLES changes measure the lag.
"""

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
from aiokafka import AIOKafkaConsumer
from common import Figure, env_int, http_load, percentile, service
from pymongo import AsyncMongoClient
from tsunagu_profile.adapters.repository import PROFILES
from tsunagu_profile.adapters.search_index import PROFILES_INDEX, profile_document, query
from tsunagu_profile.config import ProfileSettings
from tsunagu_profile.domain.model import PersonalityResult, Profile, SelectionProgress
from tsunagu_profile.domain.search import SearchFilters
from tsunagu_profile.rebuild import rebuild
from tsunagu_shared.search import SearchIndex, connect
from tsunagu_shared.testing import bearer
from tsunagu_shared.topics import PROFILE_EVENTS, topic_name

INDUSTRIES = ["it", "maker", "finance", "trading", "consulting", "media", "retail", "robotics", "energy", "food"]
SCHOOLS = [f"大学{n:02d}" for n in range(60)]
PLACES = ["Tokyo", "Osaka", "Nagoya", "Fukuoka", "Sapporo", "Sendai", "Kyoto", "Kobe", "Hiroshima", "Yokohama"]
STAGES = ["applied", "first_interview", "second_interview", "final_interview", "offer"]
PHRASES = ["機械学習の研究をしています", "ロボット制御のアルバイト", "飲食店で売上を伸ばしました", "留学経験があります",
           "Pythonでアプリを作りました", "営業のインターンに参加", "データ分析が得意です", "サークルの代表でした"]
JOBS = ["エンジニア", "営業", "企画", "データサイエンティスト", "デザイナー", "コンサルタント"]
COMPANY = "bench-co"
# recruiter searches of the usual shapes: (query string of the API, the same filters for the bare query)
SEARCHES: list[tuple[dict, SearchFilters, str]] = [
    ({"industry": "it", "graduation_year": 2027}, SearchFilters(industry="it", graduation_year=2027), "last_active"),
    ({"location": "Osaka", "has_photo": "true"}, SearchFilters(location="Osaka", has_photo=True), "last_active"),
    ({"stage": "final_interview", "industry": "robotics"},
     SearchFilters(stage="final_interview", industry="robotics"), "last_active"),
    ({"school": "大学07", "sort": "newest"}, SearchFilters(school="大学07"), "newest"),
    ({"q": "機械学習", "graduation_year": 2026}, SearchFilters(text="機械学習", graduation_year=2026), "last_active"),
    ({}, SearchFilters(), "last_active"),
]


def _profile(n: int, now: datetime, rng: random.Random) -> Profile:
    created = now - timedelta(days=rng.randint(30, 400), seconds=rng.randint(0, 86_400))
    profile = Profile(
        candidate_id=f"bench-{n:06d}", display_name=f"学生{n}", school=rng.choice(SCHOOLS),
        graduation_year=rng.randint(2025, 2029), self_pr="。".join(rng.sample(PHRASES, 2)),
        industries=rng.sample(INDUSTRIES, 2), job_types=rng.sample(JOBS, 1), location=rng.choice(PLACES),
        selection_progress=[SelectionProgress(company_name="A社", stage=rng.choice(STAGES), date=created.date())]
        if n % 3 == 0 else [],
        personality=PersonalityResult(result_type="explorer", traits={}, taken_at=created) if n % 4 == 0 else None,
        has_photo=n % 2 == 0, created_at=created, updated_at=created,
        last_active_at=created + timedelta(days=rng.randint(0, 29)),
    )
    return profile


def _stored(profile: Profile) -> dict:
    document = {"_id": profile.candidate_id, **profile.model_dump()}
    document["selection_progress"] = [{**e, "date": e["date"].isoformat()} for e in document["selection_progress"]]
    return document


async def _seed(settings: ProfileSettings, stored: int, indexed: int) -> tuple[float, float]:
    """`stored` profiles into the store in bulk (the company as active), indexed by a rebuild;
    then the index filled up to `indexed`. The seconds of the rebuild and of the bulk fill."""
    client = AsyncMongoClient(settings.mongo_url, tz_aware=True)
    db = client[settings.mongo_db]
    rng, now = random.Random(24), datetime.now(UTC).replace(microsecond=0)
    try:
        for start in range(0, stored, 1000):
            batch = range(start, min(stored, start + 1000))
            await db[PROFILES].insert_many([_stored(_profile(n, now, rng)) for n in batch])
        await db["companies"].insert_one({"_id": COMPANY, "status": "active", "name": "Bench",
                                          "changed_at": now})
        await db["recruiters"].insert_one({"_id": "bench-rec", "company_id": COMPANY, "active": True,
                                           "changed_at": now})
    finally:
        await client.close()
    started = time.perf_counter()
    written = await rebuild(settings)
    assert written == stored, (written, stored)
    rebuilt = time.perf_counter() - started
    search = connect(settings)
    index = SearchIndex(search, PROFILES_INDEX, settings)
    started = time.perf_counter()
    try:
        for start in range(stored, indexed, 5000):
            await index.put_many([profile_document(_profile(n, now, rng), [])
                                  for n in range(start, min(indexed, start + 5000))])
        await index.refresh()
    finally:
        await search.close()
    return rebuilt, time.perf_counter() - started


async def _lag(process_url: str, settings: ProfileSettings, samples: int, stored: int) -> dict[str, list[float]]:
    """Per change of a stored profile: seconds from the API's answer to the event's record on
    Kafka (its CreateTime: the outbox relay), from there to a query finding it (the projector and
    the index refresh), and in all. Baseline: a document written bare to OpenSearch (answered)
    until a query finds it, with the same polling every 5 ms (erased markers: never shown)."""
    index = f"{settings.search_index_prefix}{PROFILES_INDEX.name}"
    topic = topic_name(PROFILE_EVENTS, settings.topic_prefix)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False,
                                group_id=f"{settings.topic_prefix}bench-lag", auto_offset_reset="latest")
    await consumer.start()
    published: dict[str, float] = {}

    async def read() -> None:
        while True:
            for records in (await consumer.getmany(timeout_ms=100)).values():
                for record in records:
                    published[record.key.decode()] = record.timestamp / 1000

    reader = asyncio.create_task(read())
    while not consumer.assignment():  # joined the group: reads from the end on
        await asyncio.sleep(0.05)
    for partition in consumer.assignment():
        await consumer.position(partition)
    rng = random.Random(7)
    figures: dict[str, list[float]] = {"relay": [], "projector": [], "total": [], "bare": []}
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            async def searchable(body: dict) -> float:
                while True:
                    found = (await client.post(f"{settings.opensearch_url}/{index}/_search", json=body)).json()
                    if found["hits"]["hits"]:
                        return time.time()
                    await asyncio.sleep(0.005)

            for n in range(samples):
                candidate = f"bench-{rng.randrange(stored):06d}"
                marker = f"lag{n:05d}"
                published.pop(candidate, None)
                answer = await client.patch(f"{process_url}/profiles/me", json={"location": marker},
                                            headers=bearer(settings, role="candidate", subject=candidate))
                answered = time.time()
                assert answer.status_code == 200, answer.text
                found = await asyncio.wait_for(searchable({"size": 1, "query": {"term": {"location": marker}}}), 120)
                while candidate not in published:  # the reader polls every 100 ms
                    await asyncio.sleep(0.01)
                figures["relay"].append(published[candidate] - answered)
                figures["projector"].append(found - published[candidate])
                figures["total"].append(found - answered)
                marker = f"bare{n:05d}"
                await client.put(f"{settings.opensearch_url}/{index}/_doc/bare-{n}",
                                 json={"candidate_id": f"bare-{n}", "location": marker, "erased": True})
                written = time.time()
                figures["bare"].append(await searchable({"size": 1, "query": {"term": {"location": marker}}}) - written)
    finally:
        reader.cancel()
        await consumer.stop()
    return figures


async def run() -> list[Figure]:
    count, stored = env_int("BENCH_SEARCH_PROFILES", 100_000), env_int("BENCH_SEARCH_STORE_PROFILES", 20_000)
    total, max_seconds = env_int("BENCH_SEARCH_REQUESTS", 3000), env_int("BENCH_SEARCH_SECONDS", 30)
    concurrency, samples = env_int("BENCH_HTTP_CONCURRENCY", 16), env_int("BENCH_SEARCH_LAG_SAMPLES", 100)
    process, settings = service("profile", ProfileSettings)
    await process.start()
    try:
        rebuild_seconds, fill_seconds = await _seed(settings, stored, count)
        paths = [f"/profiles?{urlencode({**params, 'limit': 20})}" for params, _, _ in SEARCHES]
        bodies = [query(filters, sort=sort, cursor=None, limit=21, hidden_from=COMPANY)
                  for _, filters, sort in SEARCHES]
        search = [f"/{settings.search_index_prefix}{PROFILES_INDEX.name}/_search"] * len(bodies)
        recruiter = bearer(settings, role="recruiter", subject="bench-rec", company_id=COMPANY)
        for _ in range(2):  # warm both paths (caches, JIT, connections) before measuring
            await http_load(process.url, paths, headers=recruiter, concurrency=concurrency, total=200, max_seconds=10)
            await http_load(settings.opensearch_url, search, headers={}, concurrency=concurrency, total=200,
                            max_seconds=10, bodies=bodies)
        bare = await http_load(settings.opensearch_url, search, headers={}, concurrency=concurrency, total=total,
                               max_seconds=max_seconds, bodies=bodies)
        real = await http_load(process.url, paths, headers=recruiter, concurrency=concurrency, total=total,
                               max_seconds=max_seconds)
        assert real.errors == 0 and bare.errors == 0, (real.errors, bare.errors)
        lag = await _lag(process.url, settings, samples, stored)
    finally:
        process.stop()
    name = f"recruiter search, {count:,} profiles, {concurrency} concurrent"
    baseline = "bare OpenSearch query, same shape"
    bare_lag = "bare write to OpenSearch → searchable"
    total_p99 = percentile(lag["total"], 99) * 1000
    ms = {key: (percentile(values, 50) * 1000, percentile(values, 99) * 1000) for key, values in lag.items()}
    return [
        Figure("recruiter search", f"{name}: p99 latency", "ms", real.p99_ms, baseline=bare.p99_ms,
               baseline_name=baseline, target="< 100 ms", meets_target=real.p99_ms < 100),
        Figure("recruiter search", f"{name}: p50 latency", "ms", real.p50_ms, baseline=bare.p50_ms,
               baseline_name=baseline),
        Figure("recruiter search", f"{name}: throughput", "requests/s", real.per_second, baseline=bare.per_second,
               baseline_name=baseline, target=">= 0.7 of bare", meets_target=real.per_second >= 0.7 * bare.per_second),
        Figure("recruiter search", f"change → searchable p99 ({samples} changes, store of {stored:,})", "ms",
               total_p99, baseline=ms["bare"][1], baseline_name=bare_lag, target="< 1000 ms",
               meets_target=total_p99 < 1000),
        Figure("recruiter search", "  of which outbox relay (answered → on Kafka) p99", "ms", ms["relay"][1]),
        Figure("recruiter search", "  of which projector (on Kafka → searchable) p99", "ms", ms["projector"][1],
               baseline=ms["bare"][1], baseline_name=bare_lag, target="< 1000 ms",
               meets_target=ms["projector"][1] < 1000),
        Figure("recruiter search", f"index rebuild from the store ({stored:,} profiles)", "profiles/s",
               stored / rebuild_seconds),
        Figure("recruiter search", f"bulk indexing ({count - stored:,} profile documents)", "documents/s",
               (count - stored) / fill_seconds),
    ]
