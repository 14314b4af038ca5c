"""ATS CSV import: rows/s for a 10,000-row file through the scout service (upload, job, poll),
versus parsing the same file with the csv module and storing every row with insert_many in the
same database (the least any import that keeps each row must do)."""

import asyncio
import csv
import io
import json
import time

import httpx
from common import Figure, env_int, rss_mib, service
from pymongo import AsyncMongoClient
from tsunagu_scout.config import ScoutSettings
from tsunagu_shared.testing import bearer


def applicants_csv(rows: int) -> bytes:
    lines = ["応募者ID,氏名,メールアドレス,選考メモ"]
    lines += [f"ATS-{n:06d},応募者{n},applicant{n}@example.jp,一次面接候補" for n in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


async def baseline(settings, data: bytes) -> float:
    client = AsyncMongoClient(settings.mongo_url, tz_aware=True)
    try:
        started = time.monotonic()
        rows = list(csv.DictReader(io.StringIO(data.decode())))
        collection = client[settings.mongo_db]["bench_baseline_rows"]
        for start in range(0, len(rows), 1000):
            await collection.insert_many([dict(r) for r in rows[start:start + 1000]])
        return len(rows) / (time.monotonic() - started)
    finally:
        await client.close()


async def run() -> list[Figure]:
    rows, max_seconds = env_int("BENCH_CSV_ROWS", 10000), env_int("BENCH_CSV_SECONDS", 600)
    process, settings = service("scout", ScoutSettings)
    await process.start()
    data = applicants_csv(rows)
    try:
        admin = bearer(settings, role="admin", subject="bench-admin")
        recruiter = bearer(settings, role="recruiter", subject="rec-bench", company_id="bench-co")
        async with httpx.AsyncClient(base_url=process.url, timeout=300) as client:
            body = {"company_id": "bench-co", "name": "Bench株式会社",
                    "plan": {"name": "standard", "monthly_quota": {"regular": 10, "premium": 2}, "max_awaiting": 50}}
            assert (await client.post("/admin/companies", json=body, headers=admin)).status_code == 201
            put = await client.put("/admin/companies/bench-co/recruiters/rec-bench", json={"display_name": "佐藤"},
                                   headers=admin)
            assert put.status_code == 200, put.text
            rest = rss_mib(process.process.pid)
            started = time.monotonic()
            upload = await client.post("/campaigns", files={"file": ("applicants.csv", data, "text/csv")},
                                       data={"name": "bench", "mode": "partial",
                                             "mapping": json.dumps({"氏名": "name", "メールアドレス": "email"})},
                                       headers=recruiter)
            assert upload.status_code == 202, upload.text
            campaign = upload.json()["campaign_id"]
            peak, job = rest, {}
            while time.monotonic() - started < max_seconds:
                job = (await client.get(f"/campaigns/{campaign}", headers=recruiter)).json()
                peak = max(peak, rss_mib(process.process.pid))
                if job.get("status") in ("completed", "rejected", "failed"):
                    break
                await asyncio.sleep(0.2)  # the figure is seconds: poll finely enough to resolve it
            elapsed = time.monotonic() - started
    finally:
        process.stop()
    done = job.get("rows_done", 0)
    base = await baseline(settings, data)
    finished = job.get("status") == "completed"
    label = f"rows/s, {rows}-row file"
    if not finished:
        label += f" (status {job.get('status')}: {done} rows in {elapsed:.0f}s)"
    rate = done / elapsed
    return [
        Figure("CSV import", label, "rows/s", rate, baseline=base,
               baseline_name="csv.DictReader + insert_many into the same database",
               target=">= 0.3 x baseline", meets_target=finished and rate >= 0.3 * base),
        Figure("CSV import", f"seconds, {rows}-row file end to end (upload to completed)", "s", elapsed,
               target="< 5 s", meets_target=finished and elapsed < 5),
        Figure("memory", "scout RSS at rest", "MiB", rest),
        Figure("memory", "scout RSS peak during the import", "MiB", peak),
    ]
