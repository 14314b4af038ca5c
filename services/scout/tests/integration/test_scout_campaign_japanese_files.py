"""A Japanese ATS file as it comes, on the real broker and database: no mapping, typed columns checked,
rejected rows listed in the export, and the same file imported again messages nobody twice."""

import asyncio
import csv
import io
import time

from tsunagu_shared.testing import TopicReader
from tsunagu_shared.topics import SCOUT_EVENTS, topic_name


async def upload(stack, company, data: bytes, **form) -> str:
    files = {"file": ("応募者.csv", data, "text/csv")}
    response = await stack.client.post("/campaigns", files=files, data={"name": "27卒 春", **form},
                                       headers=stack.recruiter(company))
    assert response.status_code == 202, response.text
    return response.json()["campaign_id"]


async def finished(stack, company, campaign_id, timeout=60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = (await stack.client.get(f"/campaigns/{campaign_id}", headers=stack.recruiter(company))).json()
        if job["status"] != "running":
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"campaign {campaign_id} still running")

FILE = ("応募者ID,氏名,フリガナ,メールアドレス,電話番号,大学,学部,卒業年度,選考メモ\r\n"
        "A-1,山田花子,ヤマダ ハナコ,hanako@example.jp,090-1111-2222,東京大学,工学部,二〇二七年度,一次通過\r\n"
        "A-2,佐藤由紀,さとう ゆき,yuki@example.jp,,京都大学,文学部,2027,\r\n"
        "A-3,鈴木一郎,スズキ イチロウ,ichiro@example.jp,,大阪大学,理学部,二〇二X,\r\n")


def exported(response) -> list[dict]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_a_japanese_ats_file_imports_without_a_mapping_and_again_without_messaging_twice(stack):
    await stack.company("acme")
    rec = stack.recruiter("acme")
    async with TopicReader(topic_name(SCOUT_EVENTS, stack.settings.topic_prefix)) as reader:
        first = await finished(stack, "acme", await upload(stack, "acme", FILE.encode("cp932"), mode="partial"))
        assert (first["status"], first["rows_imported"], first["rows_failed"]) == ("completed", 2, 1)
        assert first["errors"] == [{"row": 4, "field": "graduation_year", "column": "卒業年度",
                                    "message": "'二〇二X' is not a year (write it as 2027 or 2027年度)"}]
        rows = exported(await stack.client.get(f"/campaigns/{first['campaign_id']}/export", headers=rec))
        assert [(r["応募者ID"], r["卒業年度"], r["フリガナ"], r["tsunagu_status"]) for r in rows] == [
            ("A-1", "2027", "ヤマダ ハナコ", "invited"), ("A-2", "2027", "サトウ ユキ", "invited"),
            ("A-3", "二〇二X", "スズキ イチロウ", "rejected")]
        assert rows[2]["tsunagu_rejected_reason"] == "卒業年度: '二〇二X' is not a year (write it as 2027 or 2027年度)"
        created = await stack.container.events.candidates.get(rows[0]["tsunagu_candidate_id"])
        assert (created.school, created.faculty, created.graduation_year) == ("東京大学", "工学部", 2027)

        # The recruiter fixes row 4 and imports the whole file again.
        fixed = FILE.replace("二〇二X", "二〇二八")
        second = await finished(stack, "acme", await upload(stack, "acme", fixed.encode("cp932"), mode="partial"))
        assert (second["status"], second["rows_imported"], second["rows_failed"]) == ("completed", 3, 0)
        again = exported(await stack.client.get(f"/campaigns/{second['campaign_id']}/export", headers=rec))
        assert [(r["応募者ID"], r["tsunagu_status"]) for r in again] == [
            ("A-1", "already_invited"), ("A-2", "already_invited"), ("A-3", "invited")]
        assert again[0]["tsunagu_share_url"] == rows[0]["tsunagu_share_url"]  # her first invitation still holds
        assert again[0]["tsunagu_candidate_id"] == rows[0]["tsunagu_candidate_id"]

        await reader.wait_for_types("CampaignImported", "CampaignImported")
        envelopes = await reader.settle(1.0)
    invited = [e.event().display_name for e in envelopes if e.type == "CampaignApplicantImported"]
    assert sorted(invited) == sorted(["山田花子", "佐藤由紀", "鈴木一郎"])  # each messaged once


async def test_all_or_nothing_lists_the_row_to_fix(stack):
    await stack.company("acme")
    job = await finished(stack, "acme", await upload(stack, "acme", FILE.encode()))
    assert (job["status"], job["rows_imported"]) == ("rejected", 0)
    rows = exported(await stack.client.get(f"/campaigns/{job['campaign_id']}/export", headers=stack.recruiter("acme")))
    assert [(r["応募者ID"], r["tsunagu_status"]) for r in rows] == [("A-3", "rejected")]
    assert "卒業年度" in rows[0]["tsunagu_rejected_reason"]
