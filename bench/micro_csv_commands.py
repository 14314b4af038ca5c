"""Probe: where the time of a CSV import goes in scout, by database command and collection.

    eval "$(python3 scripts/stack.py env)"; .cache/venv/bin/python bench/micro_csv_commands.py

scout runs in process (its app on the real broker and database) with pymongo's command monitor
registered; a BENCH_CSV_ROWS-row file (bench_csv's) is uploaded and, once the job is completed,
the commands issued meanwhile are tallied, then again until the outbox relay has published every
event. A command's time includes its wait for the database's write turn. Not part of `make bench`:
it explains the CSV figure rather than measuring it.
"""

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from pymongo import monitoring

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CommandTally

ROWS = int(os.environ.get("BENCH_CSV_ROWS", 10000))


def report(tally: CommandTally, title: str) -> None:
    total = sum(tally.count.values())
    print(f"-- {title}: {total} commands, {sum(tally.ms.values()) / 1000:.1f} s in commands (overlapping)")
    for key, count in sorted(tally.count.items(), key=lambda kv: -tally.ms[kv[0]])[:14]:
        seconds, average = tally.ms[key] / 1000, tally.ms[key] / count
        print(f"{key[0]:>14} {key[1]:<26} {count:6d}  {seconds:6.2f} s  {average:6.1f} ms avg")
    tally.clear()


TALLY = CommandTally()
monitoring.register(TALLY)  # before any client exists


async def main() -> None:
    from bench_csv import applicants_csv
    from tsunagu_scout.config import ScoutSettings
    from tsunagu_scout.entrypoints.api import create_app
    from tsunagu_shared.outbox import PENDING_INDEX
    from tsunagu_shared.testing import bearer, isolated_settings, running_service

    settings = isolated_settings(ScoutSettings)
    app = create_app(settings)
    async with running_service(app) as client:
        admin = bearer(settings, role="admin", subject="probe-admin")
        recruiter = bearer(settings, role="recruiter", subject="rec-probe", company_id="probe-co")
        body = {"company_id": "probe-co", "name": "Probe株式会社",
                "plan": {"name": "standard", "monthly_quota": {"regular": 10, "premium": 2}, "max_awaiting": 50}}
        assert (await client.post("/admin/companies", json=body, headers=admin)).status_code == 201
        await client.put("/admin/companies/probe-co/recruiters/rec-probe", json={"display_name": "佐藤"},
                         headers=admin)
        await asyncio.sleep(1)
        TALLY.clear()
        started = time.monotonic()
        upload = await client.post("/campaigns", files={"file": ("a.csv", applicants_csv(ROWS), "text/csv")},
                                   data={"name": "probe", "mode": "partial",
                                         "mapping": json.dumps({"氏名": "name", "メールアドレス": "email"})},
                                   headers=recruiter)
        assert upload.status_code == 202, upload.text
        answered = time.monotonic() - started
        campaign = upload.json()["campaign_id"]
        while (await client.get(f"/campaigns/{campaign}", headers=recruiter)).json()["status"] == "running":
            await asyncio.sleep(0.2)
        done = time.monotonic() - started
        report(TALLY, f"upload answered in {answered:.1f} s, import completed in {done:.1f} s")
        db = app.state.container.infra.db if hasattr(app.state, "container") else None
        if db is not None:
            while await db[PENDING_INDEX].find_one({}, {"_id": 1}):
                await asyncio.sleep(0.5)
            report(TALLY, f"every event published {time.monotonic() - started:.1f} s after the upload")


if __name__ == "__main__":
    asyncio.run(main())
