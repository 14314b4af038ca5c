"""A campaign import survives its process: scout is SIGKILLed mid-import, started again, and the job
completes with every row imported exactly once (applicants, created candidates, events on the broker),
including a chunk whose writes were done but not yet marked done when the process died."""

import asyncio
import time
from collections import defaultdict
from datetime import timedelta

import httpx
from pymongo import AsyncMongoClient
from tsunagu_scout.config import ScoutSettings
from tsunagu_scout.domain.campaign_csv import ApplicantRow
from tsunagu_scout.domain.campaign_jobs import applicant_candidate_id
from tsunagu_shared.kafka import ensure_topics
from tsunagu_shared.kafka.admin import wanted_topics
from tsunagu_shared.testing import ServiceProcess, TopicReader, bearer, isolated_settings, kafka_bootstrap, mongo_url
from tsunagu_shared.topics import SCOUT_EVENTS, topic_name

ROWS = 3000


async def job_state(client: httpx.AsyncClient, campaign_id: str, headers: dict) -> dict:
    response = await client.get(f"/campaigns/{campaign_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def poll(client, campaign_id, headers, until, *, timeout: float, what: str) -> dict:
    deadline = time.monotonic() + timeout
    job: dict = {}
    while time.monotonic() < deadline:
        job = await job_state(client, campaign_id, headers)
        assert job["rows_done"] <= job["rows_total"]
        if until(job):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what}: not reached in {timeout}s, last seen {job}")


async def reopen_last_done_chunk(settings: ScoutSettings, campaign_id: str) -> None:
    """The crash window between a chunk's writes and its done mark, made certain: the SIGKILL may
    land between chunks, so the last finished chunk is marked not done, as if the process had died
    just before marking it. The next process must import it again without duplicating anything."""
    mongo = AsyncMongoClient(mongo_url(), tz_aware=True)
    try:
        db = mongo[settings.mongo_db]
        total = (await db.campaigns.find_one({"_id": campaign_id}))["chunks_total"]
        done = [n for n in range(total)
                if (await db.campaign_chunks.find_one({"_id": f"{campaign_id}:{n}"}, {"done": 1}))["done"]]
        assert done and len(done) < total, f"kill should land mid-import: {len(done)} of {total} chunks done"
        await db.campaign_chunks.update_one({"_id": f"{campaign_id}:{done[-1]}"}, {"$set": {"done": False}})
    finally:
        await mongo.close()


async def test_import_killed_mid_way_is_resumed_by_the_next_process_and_imports_each_row_once():
    settings = isolated_settings(ScoutSettings)
    await ensure_topics(kafka_bootstrap(), wanted_topics(settings.topic_prefix, settings.topic_partitions))
    env = {
        "TSUNAGU_MONGO_URL": mongo_url(), "TSUNAGU_MONGO_DB": settings.mongo_db,
        "TSUNAGU_KAFKA_BOOTSTRAP": kafka_bootstrap(), "TSUNAGU_TOPIC_PREFIX": settings.topic_prefix,
        "TSUNAGU_TOPIC_PARTITIONS": str(settings.topic_partitions), "TSUNAGU_OUTBOX_POLL_SECONDS": "0.2",
        "TSUNAGU_CAMPAIGN_CHUNK_ROWS": "100", "TSUNAGU_CAMPAIGN_STALE_SECONDS": "2",
        "TSUNAGU_CAMPAIGN_RESUME_SECONDS": "0.5",
        # the chunk insert the kill interrupted is never confirmed: its events go out once its
        # marker is this old (300 s by default)
        "TSUNAGU_OUTBOX_STALE_MARKER_SECONDS": "3",
    }
    admin = bearer(settings, role="admin", subject="admin-1")
    recruiter = bearer(settings, role="recruiter", subject="rec-1", company_id="acme")
    # half the rows have only a phone: nothing links them on a replay but their row-derived candidate id
    lines = ["ats_id,name,email,phone"] + [
        f"X{i:05d},Applicant {i},a{i}@example.jp," if i % 2 else f"X{i:05d},Applicant {i},,090{10_000_000 + i:08d}"
        for i in range(ROWS)
    ]
    service = ServiceProcess("scout", env=env)
    await service.start()
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=30) as client:
            plan = {"name": "standard", "monthly_quota": {"regular": 10, "premium": 2}, "max_awaiting": 50}
            created = await client.post("/admin/companies", json={"company_id": "acme", "name": "Acme Inc.",
                                                                  "plan": plan}, headers=admin)
            assert created.status_code == 201, created.text
            added = await client.put("/admin/companies/acme/recruiters/rec-1", json={"display_name": "Sato Aiko"},
                                     headers=admin)
            assert added.status_code == 200, added.text
            upload = await client.post("/campaigns", files={"file": ("a.csv", "\r\n".join(lines).encode())},
                                       data={"name": "spring", "mode": "partial"}, headers=recruiter)
            assert upload.status_code == 202, upload.text
            campaign_id = upload.json()["campaign_id"]
            mid = await poll(client, campaign_id, recruiter, lambda j: 0 < j["rows_done"] < ROWS, timeout=60,
                             what="import under way")
        service.kill()
        assert mid["status"] == "running"
        await reopen_last_done_chunk(settings, campaign_id)

        await service.start()
        async with httpx.AsyncClient(base_url=service.url, timeout=30) as client:
            stalled = await job_state(client, campaign_id, recruiter)
            assert stalled["status"] == "running" and stalled["rows_done"] < ROWS  # the dead process stopped it
            job = await poll(client, campaign_id, recruiter, lambda j: j["status"] != "running", timeout=120,
                             what="import resumed and finished")
        assert (job["status"], job["rows_total"], job["rows_done"], job["rows_imported"], job["rows_failed"]) == \
            ("completed", ROWS, ROWS, ROWS, 0)

        async with TopicReader(topic_name(SCOUT_EVENTS, settings.topic_prefix)) as reader:
            def every_row_and_the_end_published(_records) -> bool:
                seen = reader.envelopes()
                return (len({e.subject for e in seen if e.type == "CampaignApplicantImported"}) >= ROWS
                        and any(e.type == "CampaignImported" for e in seen))
            await reader.wait_for(every_row_and_the_end_published, timeout=90)
            envelopes = await reader.settle(1.5)
    finally:
        service.stop()

    mongo = AsyncMongoClient(mongo_url(), tz_aware=True)
    try:
        db = mongo[settings.mongo_db]
        applicants = await db.campaign_applicants.find({"campaign_id": campaign_id}, {"row": 1, "candidate_id": 1}
                                                       ).to_list()
        candidates = await db.candidates.find({"origin": "campaign"}, {"_id": 1}).to_list()
        chunks_left = await db.campaign_chunks.count_documents({})
    finally:
        await mongo.close()
    assert sorted(a["row"] for a in applicants) == list(range(2, ROWS + 2))  # one applicant per row
    created = {applicant_candidate_id(campaign_id, r) for r in range(2, ROWS + 2)}
    assert {a["candidate_id"] for a in applicants} == created
    assert len(candidates) == ROWS  # no second identity for a replayed row
    assert chunks_left == 0  # the stored input (personal data) is gone once the job finished

    events_of = defaultdict(set)
    for envelope in envelopes:
        if envelope.type == "CampaignApplicantImported":
            events_of[envelope.event().candidate_id].add(envelope.id)
    assert set(events_of) == {a["candidate_id"] for a in applicants}
    assert all(len(ids) == 1 for ids in events_of.values()), "a replayed row published a second, different event"
    finished = {e.id for e in envelopes if e.type == "CampaignImported"}
    assert len(finished) == 1


def stalled_job(campaign_id: str, clock, **fields) -> dict:
    return {"_id": campaign_id, "company_id": "acme", "company_name": "acme Inc.", "recruiter_id": "rec-1",
            "name": "spring", "template_id": None, "deadline": None, "mode": "partial", "headers": ["name"],
            "columns": {"name": "name"}, "status": "running", "rows_total": 10, "rows_done": 0, "rows_imported": 0,
            "rows_failed": 0, "errors": [], "created_at": clock.now(), "finished_at": None, **fields}


def applicant(row: int, name: str) -> ApplicantRow:
    return ApplicantRow(row, name, email=None, phone=None, candidate_id=None)


async def store_job(stack, document: dict) -> None:
    """A job as an earlier scout process stored it (some from before imports were resumable)."""
    await stack.container.infra.db.campaigns.insert_one(document)


async def test_a_job_that_cannot_be_resumed_is_reported_failed_with_the_reason(stack):
    """Jobs from before imports were durable, and jobs that stopped every process that ran them,
    end as failed with a reason the recruiter can act on instead of running forever."""
    await stack.company("acme")
    long_ago = stack.clock.now() - timedelta(hours=1)
    await store_job(stack, stalled_job("cmp_legacy", stack.clock))
    await store_job(stack, stalled_job(
        "cmp_poison", stack.clock, chunks_total=1, runner="dead-pod", heartbeat_at=long_ago,
        resumes=stack.settings.campaign_max_resumes, input_kept=True))
    await stack.container.campaigns.campaigns.add_chunks("cmp_poison", [[applicant(2, "Hanako")]])
    await store_job(stack, stalled_job(
        "cmp_alive", stack.clock, chunks_total=1, runner="live-pod", heartbeat_at=stack.clock.now()))

    assert await stack.container.campaigns.resume_stalled() == 2
    headers = stack.recruiter("acme")
    legacy = (await stack.client.get("/campaigns/cmp_legacy", headers=headers)).json()
    poison = (await stack.client.get("/campaigns/cmp_poison", headers=headers)).json()
    alive = (await stack.client.get("/campaigns/cmp_alive", headers=headers)).json()
    assert (legacy["status"], poison["status"], alive["status"]) == ("failed", "failed", "running")
    assert "upload the file again" in legacy["failure"]
    assert "stopped 4 times" in poison["failure"] and poison["finished_at"]
    assert alive["runner"] == "live-pod"  # a job still beating is left to its process
    assert await chunks_of(stack, "cmp_poison") == 0  # a failed job's input (personal data) is not kept
    assert "input_kept" not in poison


async def chunks_of(stack, campaign_id: str) -> int:
    return await stack.container.infra.db.campaign_chunks.count_documents({"campaign_id": campaign_id})


async def test_the_input_of_a_job_that_ended_as_its_process_died_is_dropped_by_the_next_sweep(stack):
    """The process concluded the job and died before dropping the stored rows: they go at the next sweep."""
    await stack.company("acme")
    campaigns = stack.container.campaigns
    await store_job(stack, stalled_job("cmp_done", stack.clock, status="completed", chunks_total=2,
                                              runner="dead-pod", input_kept=True, finished_at=stack.clock.now()))
    await store_job(stack, stalled_job("cmp_live", stack.clock, chunks_total=1, runner="live-pod",
                                              heartbeat_at=stack.clock.now(), input_kept=True))
    await campaigns.campaigns.add_chunks("cmp_done", [[applicant(2, "Hanako")], [applicant(3, "Yuki")]])
    await campaigns.campaigns.add_chunks("cmp_live", [[applicant(2, "Aiko")]])

    assert await campaigns.drop_leftover_input() == 1
    assert await chunks_of(stack, "cmp_done") == 0
    assert await chunks_of(stack, "cmp_live") == 1  # a running job keeps its input
    assert await campaigns.drop_leftover_input() == 0  # once dropped, the job is no longer looked at


async def test_a_job_whose_upload_died_before_all_its_rows_were_stored_ends_failed_and_keeps_nothing(stack):
    await stack.company("acme")
    campaigns = stack.container.campaigns
    await store_job(stack, stalled_job("cmp_cut", stack.clock, chunks_total=3, runner="dead-pod",
                                              heartbeat_at=stack.clock.now() - timedelta(hours=1), input_kept=True))
    await campaigns.campaigns.add_chunks("cmp_cut", [[applicant(2, "Hanako")]])  # 1 of 3 stored, then the crash

    assert await campaigns.resume_stalled() == 1
    job = await poll_job(stack, "cmp_cut")
    assert job["status"] == "failed" and "before all its rows were stored" in job["failure"]
    assert await chunks_of(stack, "cmp_cut") == 0


async def poll_job(stack, campaign_id: str) -> dict:
    for _ in range(200):
        job = (await stack.client.get(f"/campaigns/{campaign_id}", headers=stack.recruiter("acme"))).json()
        if job["status"] != "running":
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"{campaign_id} still running: {job}")
