"""Every list at a season's volume, and the sweeps of timed work at two sizes of the store.

Lists: the scouts index is bulk-filled with BENCH_LISTS_SCOUTS (300,000) scout documents across
BENCH_LISTS_COMPANIES (1,000) companies and BENCH_LISTS_STUDENTS (100,000) students, the threads
index with BENCH_LISTS_THREADS (100,000) threads, the events index with BENCH_LISTS_EVENTS (500)
events, each with the documents its projector writes (the store is not read by a list). Then
BENCH_HTTP_CONCURRENCY (16) clients read a company's "sent" list (all, and awaiting only), a
student's "received" list, a recruiter's and a student's threads and the upcoming events through
the real services, each against the same query sent bare to OpenSearch.

Sweeps: BENCH_SWEEP_DUE (100) scouts due now, among BENCH_SWEEP_SMALL (2,000) and then
BENCH_SWEEP_LARGE (20,000) awaiting scouts bulk-inserted into the scout store, expired by the
service's own sweep (due buckets); likewise open offers lapsed by messaging's. Baseline in the same
run: the query the sweeps used before (`state = awaiting and expires_at <= now` / open offers past
their deadline), which decodes the whole collection on FerretDB.
"""

import random
import time
from datetime import UTC, datetime, timedelta

import httpx
from common import Figure, env_int, http_load, service
from tsunagu_events.adapters.event_index import EVENTS_INDEX, event_document
from tsunagu_events.config import EventsSettings
from tsunagu_events.domain.model import Event
from tsunagu_messaging.adapters.thread_index import THREADS_INDEX, thread_document
from tsunagu_messaging.bootstrap import bootstrap as messaging_bootstrap
from tsunagu_messaging.config import MessagingSettings
from tsunagu_messaging.domain.threads import Thread
from tsunagu_scout.adapters.scout_index import SCOUTS_INDEX, scout_document
from tsunagu_scout.bootstrap import bootstrap as scout_bootstrap
from tsunagu_scout.config import ScoutSettings
from tsunagu_scout.domain.model import Scout
from tsunagu_shared.clock import SettableClock
from tsunagu_shared.search import SearchIndex, connect
from tsunagu_shared.testing import bearer, isolated_settings

COMPANY = "co-0000"
STUDENT = "st-000007"
TARGET_MS = 100


def _scout(n: int, companies: int, students: int, now: datetime, rng: random.Random) -> Scout:
    sent = now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
    return Scout(scout_id=f"sc-{n:07d}", company_id=f"co-{n % companies:04d}", company_name="会社",
                 recruiter_id="rec-1", recruiter_name="採用担当", candidate_id=f"st-{(n * 7919) % students:06d}",
                 reason="あなたの研究がチームに合うと思いました", tier="premium" if n % 10 == 0 else "regular",
                 state=rng.choice(["awaiting", "awaiting", "replied", "declined", "expired"]),
                 month=sent.strftime("%Y-%m"),
                 sent_at=sent, expires_at=sent + timedelta(days=30))


def _thread(n: int, companies: int, students: int, now: datetime, rng: random.Random) -> Thread:
    opened = now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
    return Thread(thread_id=f"th-{n:07d}", company_id=f"co-{n % companies:04d}",
                  candidate_id=f"st-{(n * 104729) % students:06d}", company_name="会社", opened_by="scout",
                  opened_at=opened, last_message_at=opened + timedelta(minutes=rng.randint(0, 600)))


def _event(n: int, now: datetime) -> Event:
    starts = now + timedelta(hours=n * 7 - 700)
    return Event(event_id=f"ev-{n:05d}", kind="matching_event", title=f"マッチングイベント {n}", starts_at=starts,
                 time_zone="Asia/Tokyo", capacity=100, registration_closes_at=starts - timedelta(hours=1),
                 status="cancelled" if n % 9 == 0 else "published", published_by="admin", published_at=now)


async def _fill(settings, spec, documents, *, chunk: int = 5000) -> None:
    client = connect(settings)
    index = SearchIndex(client, spec, settings)
    try:
        await index.ensure()
        batch = []
        for document in documents:
            batch.append(document)
            if len(batch) == chunk:
                await index.put_many(batch, chunk_size=chunk)
                batch = []
        await index.put_many(batch, chunk_size=chunk)
        await index.refresh()
    finally:
        await client.close()


async def _list_figures(name: str, process, settings, paths: list[str], headers: dict, bodies: list[dict],
                        index: str, concurrency: int, total: int, seconds: int) -> list[Figure]:
    search = [f"/{settings.search_index_prefix}{index}/_search"] * len(bodies)
    for _ in range(2):  # warm both paths
        await http_load(process.url, paths, headers=headers, concurrency=concurrency, total=200, max_seconds=10)
        await http_load(settings.opensearch_url, search, headers={}, concurrency=concurrency, total=200,
                        max_seconds=10, bodies=bodies)
    bare = await http_load(settings.opensearch_url, search, headers={}, concurrency=concurrency, total=total,
                           max_seconds=seconds, bodies=bodies)
    real = await http_load(process.url, paths, headers=headers, concurrency=concurrency, total=total,
                           max_seconds=seconds)
    assert real.errors == 0 and bare.errors == 0, (name, real.errors, bare.errors)
    baseline = "bare OpenSearch query, same shape"
    return [Figure("lists", f"{name}, {concurrency} concurrent: p99 latency", "ms", real.p99_ms, baseline=bare.p99_ms,
                   baseline_name=baseline, target=f"< {TARGET_MS} ms", meets_target=real.p99_ms < TARGET_MS),
            Figure("lists", f"{name}: throughput", "requests/s", real.per_second, baseline=bare.per_second,
                   baseline_name=baseline)]


async def _lists() -> list[Figure]:
    scouts, threads = env_int("BENCH_LISTS_SCOUTS", 300_000), env_int("BENCH_LISTS_THREADS", 100_000)
    companies, students = env_int("BENCH_LISTS_COMPANIES", 1000), env_int("BENCH_LISTS_STUDENTS", 100_000)
    events = env_int("BENCH_LISTS_EVENTS", 500)
    total, seconds = env_int("BENCH_LISTS_REQUESTS", 2000), env_int("BENCH_LISTS_SECONDS", 20)
    concurrency = env_int("BENCH_HTTP_CONCURRENCY", 16)
    rng, now = random.Random(24), datetime.now(UTC).replace(microsecond=0)
    figures: list[Figure] = []

    process, settings = service("scout", ScoutSettings)
    await process.start()
    try:
        started = time.perf_counter()
        await _fill(settings, SCOUTS_INDEX, (scout_document(_scout(n, companies, students, now, rng))
                                             for n in range(scouts)))
        figures.append(Figure("lists", f"bulk indexing ({scouts:,} scout documents)", "documents/s",
                              scouts / (time.perf_counter() - started)))
        async with httpx.AsyncClient(base_url=process.url, timeout=30) as client:
            admin = bearer(settings, role="admin", subject="bench-admin")
            created = await client.post("/admin/companies", headers=admin, json={
                "company_id": COMPANY, "name": "Bench", "plan": {"name": "standard"}})
            assert created.status_code == 201, created.text
            put = await client.put(f"/admin/companies/{COMPANY}/recruiters/rec-1", headers=admin,
                                   json={"display_name": "Bench"})
            assert put.status_code == 200, put.text
        lists = SearchBodies(settings)
        recruiter = bearer(settings, role="recruiter", subject="rec-1", company_id=COMPANY)
        figures += await _list_figures(
            f"scouts sent by one company ({scouts // companies:,} of {scouts:,})", process, settings,
            ["/scouts/sent?limit=20", "/scouts/sent?limit=20&state=awaiting"], recruiter,
            [lists.sent(COMPANY, None), lists.sent(COMPANY, "awaiting")], SCOUTS_INDEX.name, concurrency, total,
            seconds)
        figures += await _list_figures(
            f"scouts received by one student (of {scouts:,})", process, settings, ["/scouts/received?limit=20"],
            bearer(settings, role="candidate", subject=STUDENT), [lists.received(STUDENT)], SCOUTS_INDEX.name,
            concurrency, total, seconds)
    finally:
        process.stop()

    process, settings = service("messaging", MessagingSettings)
    await process.start()
    try:
        started = time.perf_counter()
        await _fill(settings, THREADS_INDEX, (thread_document(_thread(n, companies, students, now, rng), 1)
                                              for n in range(threads)))
        figures.append(Figure("lists", f"bulk indexing ({threads:,} thread documents)", "documents/s",
                              threads / (time.perf_counter() - started)))
        lists = SearchBodies(settings)
        figures += await _list_figures(
            f"threads of one company (of {threads:,})", process, settings, ["/threads?limit=20"],
            bearer(settings, role="recruiter", subject="rec-1", company_id=COMPANY),
            [lists.threads("company_id", COMPANY, "archived_by_company")], THREADS_INDEX.name, concurrency, total,
            seconds)
        student = f"st-{(1 * 104729) % students:06d}"
        figures += await _list_figures(
            f"threads of one student (of {threads:,})", process, settings, ["/threads?limit=20"],
            bearer(settings, role="candidate", subject=student),
            [lists.threads("candidate_id", student, "archived_by_candidate")], THREADS_INDEX.name, concurrency,
            total, seconds)
    finally:
        process.stop()

    process, settings = service("events", EventsSettings)
    await process.start()
    try:
        await _fill(settings, EVENTS_INDEX, (event_document(_event(n, now)) for n in range(events)))
        figures += await _list_figures(
            f"upcoming events (of {events:,})", process, settings, ["/events?limit=20"],
            bearer(settings, role="candidate", subject=STUDENT), [SearchBodies(settings).upcoming(now)],
            EVENTS_INDEX.name, concurrency, total, seconds)
    finally:
        process.stop()
    return figures


class SearchBodies:
    """The queries the services send for a first page of 20 (limit + 1: the next page's probe)."""

    def __init__(self, settings) -> None:
        self.settings = settings

    @staticmethod
    def sent(company_id: str, state: str | None) -> dict:
        filters = [{"term": {"company_id": company_id}}] + ([{"term": {"state": state}}] if state else [])
        return {"size": 21, "query": {"bool": {"filter": filters}}, "track_total_hits": False,
                "sort": [{"sent_at": "desc"}, {"scout_id": "asc"}]}

    @staticmethod
    def received(candidate_id: str) -> dict:
        return {"size": 21, "query": {"bool": {"filter": [{"term": {"candidate_id": candidate_id}}]}},
                "track_total_hits": False, "sort": [{"tier": "asc"}, {"sent_at": "desc"}, {"scout_id": "asc"}]}

    @staticmethod
    def threads(party: str, party_id: str, archived: str) -> dict:
        return {"size": 21, "track_total_hits": False,
                "query": {"bool": {"filter": [{"term": {party: party_id}}, {"term": {archived: False}}]}},
                "sort": [{"last_message_at": {"order": "desc", "missing": "_last"}}, {"thread_id": "asc"}]}

    @staticmethod
    def upcoming(now: datetime) -> dict:
        return {"size": 21, "track_total_hits": False,
                "query": {"bool": {"filter": [{"term": {"status": "published"}},
                                              {"range": {"starts_at": {"gt": now.isoformat()}}}]}},
                "sort": [{"starts_at": "asc"}, {"event_id": "asc"}]}


async def _seed_scouts(db, size: int, due: int, due_at: datetime, rng: random.Random) -> list[str]:
    """`size` awaiting scouts in the store, `due` of them expiring at `due_at`, the rest later."""
    ids = []
    for start in range(0, size, 2000):
        batch = []
        for n in range(start, min(size, start + 2000)):
            scout = _scout(n, 200, 50_000, due_at - timedelta(days=10), rng)
            scout.state, scout.expires_at = "awaiting", due_at + timedelta(days=1 + n % 20)
            if n < due:
                scout.expires_at = due_at
                ids.append(scout.scout_id)
            batch.append({"_id": scout.scout_id, **scout.model_dump(exclude={"scout_id"})})
        await db["scouts"].insert_many(batch)
    return ids


async def _sweep_scouts(size: int, due: int) -> tuple[float, float]:
    """Seconds of one expiry sweep through due buckets, and of the scan it replaced, at `size`."""
    rng, now = random.Random(size), datetime.now(UTC).replace(second=0, microsecond=0)
    clock = SettableClock(now - timedelta(days=1), frozen=True)
    settings = isolated_settings(ScoutSettings)
    container = await scout_bootstrap(settings, clock=clock)
    try:
        await container.infra.run_preparations()
        ids = await _seed_scouts(container.infra.db, size, due, now, rng)
        for scout_id in ids:
            await container.scouting.expiry.add(scout_id, now)
        clock.set(now + timedelta(seconds=30))
        started = time.perf_counter()
        scanned = await container.infra.db["scouts"].find(
            {"state": "awaiting", "expires_at": {"$lte": clock.now()}}, {"_id": 1}).limit(500).to_list()
        scan = time.perf_counter() - started
        assert len(scanned) == due, len(scanned)
        started = time.perf_counter()
        expired = await container.scouting.expire_due()
        sweep = time.perf_counter() - started
        assert expired == due, (expired, due)
    finally:
        await container.infra.stop()
    return sweep, scan


async def _sweep_offers(size: int, due: int) -> tuple[float, float]:
    """Seconds of one lapse sweep through due buckets, and of the scan it replaced, at `size`."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    settings = isolated_settings(MessagingSettings)
    container = await messaging_bootstrap(settings)
    scheduling = container.scheduling
    try:
        await container.infra.run_preparations()
        offers = container.infra.db["offers"]
        for start in range(0, size, 2000):
            batch = []
            for n in range(start, min(size, start + 2000)):
                respond_by = now if n < due else now + timedelta(days=1 + n % 20)
                batch.append({"_id": f"of-{n:07d}", "offer_id": f"of-{n:07d}", "thread_id": f"th-{n:07d}",
                              "company_id": "co-1", "candidate_id": f"st-{n:06d}", "terms": "条件",
                              "respond_by": respond_by, "status": "open", "issued_at": now - timedelta(days=5),
                              "issued_by": "rec-1", "open_key": f"open:th-{n:07d}", "lapsed_at": None})
            await offers.insert_many(batch)
        for n in range(due):
            await scheduling.lapses.add(f"of-{n:07d}", now)
        scheduling.clock = SettableClock(now + timedelta(seconds=30), frozen=True)
        started = time.perf_counter()
        due = {"status": "open", "respond_by": {"$lte": scheduling.clock.now()}, "lapsed_at": None}
        scanned = await offers.find(due, {"_id": 1}).limit(500).to_list()
        scan = time.perf_counter() - started
        assert len(scanned) == due, len(scanned)
        started = time.perf_counter()
        lapsed = await scheduling.lapse_due_offers()
        sweep = time.perf_counter() - started
        assert lapsed == due, (lapsed, due)
    finally:
        await container.infra.stop()
    return sweep, scan


async def _sweeps() -> list[Figure]:
    small, large, due = env_int("BENCH_SWEEP_SMALL", 2000), env_int("BENCH_SWEEP_LARGE", 20_000), \
        env_int("BENCH_SWEEP_DUE", 100)
    figures: list[Figure] = []
    for name, sweep in (("scout expiry", _sweep_scouts), ("offer lapse", _sweep_offers)):
        small_sweep, small_scan = await sweep(small, due)
        large_sweep, large_scan = await sweep(large, due)
        baseline = "the scan it replaced, same store"
        figures += [
            Figure("sweeps", f"{name}: {due} due among {small:,} stored", "ms", small_sweep * 1000,
                   baseline=small_scan * 1000, baseline_name=baseline),
            Figure("sweeps", f"{name}: {due} due among {large:,} stored", "ms", large_sweep * 1000,
                   baseline=large_scan * 1000, baseline_name=baseline),
            Figure("sweeps", f"{name}: time at {large:,} / time at {small:,}", "ratio", large_sweep / small_sweep,
                   baseline=large_scan / small_scan, baseline_name="the same for the scan",
                   target="about 1 (independent of size)", meets_target=large_sweep / small_sweep < 1.5),
        ]
    return figures


async def run() -> list[Figure]:
    return [*await _sweeps(), *await _lists()]
