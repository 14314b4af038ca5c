"""ATS CSV campaigns: per-row report, Shift_JIS, 10k rows, export round-trip, events on the broker; a Japanese
ATS file as it comes (no mapping, typed columns checked, rejected rows in the export, imported again
without messaging anyone twice)."""

import asyncio
import csv
import io
import time

from tsunagu_shared.testing import TopicReader
from tsunagu_shared.topics import SCOUT_EVENTS, topic_name


async def upload(stack, company, data: bytes, **form):
    files = {"file": ("applicants.csv", data, "text/csv")}
    response = await stack.client.post("/campaigns", files=files, data={"name": "spring", **form},
                                       headers=stack.recruiter(company))
    assert response.status_code == 202, response.text
    return response.json()["campaign_id"]


async def finished(stack, company, campaign_id, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = (await stack.client.get(f"/campaigns/{campaign_id}", headers=stack.recruiter(company))).json()
        assert job["rows_done"] <= job["rows_total"]
        if job["status"] != "running":
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"campaign {campaign_id} still running: {job}")


BAD = (b"ATS ID,name,email\r\n"
       b"A-1,Hanako,hanako@example.jp\r\n"
       b"A-2,,taro@example.jp\r\n"
       b"A-3,Jiro,jiro-at-example\r\n")


async def test_malformed_rows_import_nothing_unless_partial(stack):
    await stack.company("acme")
    job = await finished(stack, "acme", await upload(stack, "acme", BAD))
    assert job["status"] == "rejected" and job["rows_imported"] == 0
    assert [(e["row"], e["field"]) for e in job["errors"]] == [(3, "name"), (4, "email")]
    export = await stack.client.get(f"/campaigns/{job['campaign_id']}/export", headers=stack.recruiter("acme"))
    listed = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))  # the rejected rows, to fix
    assert [(r["ATS ID"], r["tsunagu_status"], r["tsunagu_rejected_reason"]) for r in listed] == [
        ("A-2", "rejected", "name: name is empty"),
        ("A-3", "rejected", "email: not an email address: 'jiro-at-example'")]

    partial = await finished(stack, "acme", await upload(stack, "acme", BAD, mode="partial"))
    assert (partial["status"], partial["rows_imported"], partial["rows_failed"]) == ("completed", 1, 2)


async def test_unreadable_file_is_refused_at_upload(stack):
    await stack.company("acme")
    refused = await stack.client.post("/campaigns", files={"file": ("a.csv", b"email\r\nx@example.jp\r\n")},
                                      data={"name": "x"}, headers=stack.recruiter("acme"))
    assert refused.status_code == 422 and "name column" in refused.json()["detail"]


async def test_shift_jis_import_links_and_export_round_trips_free_columns(stack):
    await stack.company("acme")
    await stack.student_known("cand-known")
    await stack.student_known("cand-by-email")
    await stack.container.events.candidates.upsert("cand-by-email", {"email": "yuki@example.jp"})
    text = ("応募者ID,氏名,メールアドレス,電話番号,候補者ID,選考メモ\r\n"
            "ATS-001,山田花子,hanako@example.jp,,cand-known,\"一次面接済, 好印象\"\r\n"
            "ATS-002,佐藤由紀,YUKI@example.jp,,,\r\n"
            "ATS-003,鈴木一郎,,080-1111-2222,,二次面接待ち\r\n")
    mapping = '{"氏名": "name", "メールアドレス": "email", "電話番号": "phone", "候補者ID": "candidate_id"}'
    async with TopicReader(topic_name(SCOUT_EVENTS, stack.settings.topic_prefix)) as reader:
        campaign_id = await upload(stack, "acme", text.encode("cp932"), mapping=mapping,
                                   deadline="2026-04-20T09:00:00+09:00")
        job = await finished(stack, "acme", campaign_id)
        assert (job["status"], job["rows_imported"]) == ("completed", 3)
        export = await stack.client.get(f"/campaigns/{campaign_id}/export", params={"encoding": "shift_jis"},
                                        headers=stack.recruiter("acme"))
        rows = list(csv.DictReader(io.StringIO(export.content.decode("cp932"))))
        assert [r["応募者ID"] for r in rows] == ["ATS-001", "ATS-002", "ATS-003"]
        assert [r["選考メモ"] for r in rows] == ["一次面接済, 好印象", "", "二次面接待ち"]
        assert rows[0]["tsunagu_candidate_id"] == "cand-known"
        assert rows[1]["tsunagu_candidate_id"] == "cand-by-email"
        assert rows[2]["tsunagu_candidate_id"].startswith("ap_")
        assert {r["tsunagu_status"] for r in rows} == {"invited"}

        token = rows[2]["tsunagu_share_url"].rsplit("/", 1)[1]
        assert (await stack.client.post(f"/campaign-responses/{token}")).json()["status"] == "responded"
        assert (await stack.client.post(f"/campaign-responses/{token}")).status_code == 200  # no second event
        signed_in = await stack.client.post(f"/campaigns/{campaign_id}/response", headers=stack.student("cand-known"))
        assert signed_in.status_code == 200
        stranger = await stack.client.post(f"/campaigns/{campaign_id}/response", headers=stack.student("cand-x"))
        assert stranger.status_code == 404

        await reader.wait_for_types("CampaignApplicantImported", "CampaignApplicantImported",
                                    "CampaignApplicantImported", "CampaignImported",
                                    "CampaignApplicantResponded", "CampaignApplicantResponded")
        envelopes = await reader.settle(1.0)
    imported = [e.event() for e in envelopes if e.type == "CampaignApplicantImported"]
    assert {i.display_name for i in imported} == {"山田花子", "佐藤由紀", "鈴木一郎"}
    assert all(i.share_url.startswith(stack.settings.share_base_url) and i.respond_by for i in imported)
    assert {i.phone for i in imported} == {None, "+818011112222"}  # E.164, as Twilio takes it
    assert [e.type for e in envelopes].count("CampaignApplicantResponded") == 2

    again = await stack.client.get(f"/campaigns/{campaign_id}/export", headers=stack.recruiter("acme"))
    statuses = [r["tsunagu_status"] for r in csv.DictReader(io.StringIO(again.content.decode("utf-8-sig")))]
    assert statuses == ["responded", "invited", "responded"]


async def test_ten_thousand_rows_import_with_progress(stack):
    await stack.company("acme")
    lines = ["ats_id,name,email,note"] + [f"X{i:05d},Applicant {i},a{i}@example.jp,memo {i}" for i in range(10_000)]
    campaign_id = await upload(stack, "acme", "\r\n".join(lines).encode())
    job = await finished(stack, "acme", campaign_id, timeout=90)
    assert (job["status"], job["rows_total"], job["rows_done"], job["rows_imported"]) == \
        ("completed", 10_000, 10_000, 10_000)
    other = await stack.client.get(f"/campaigns/{campaign_id}", headers=stack.recruiter("other-co"))
    assert other.status_code == 403  # not a recruiter of a participating company


JAPANESE_FILE = ("応募者ID,氏名,フリガナ,メールアドレス,電話番号,大学,学部,卒業年度,選考メモ\r\n"
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
        uploaded = await upload(stack, "acme", JAPANESE_FILE.encode("cp932"), mode="partial")
        first = await finished(stack, "acme", uploaded)
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
        fixed = JAPANESE_FILE.replace("二〇二X", "二〇二八")
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
    job = await finished(stack, "acme", await upload(stack, "acme", JAPANESE_FILE.encode()))
    assert (job["status"], job["rows_imported"]) == ("rejected", 0)
    rows = exported(await stack.client.get(f"/campaigns/{job['campaign_id']}/export", headers=stack.recruiter("acme")))
    assert [(r["応募者ID"], r["tsunagu_status"]) for r in rows] == [("A-3", "rejected")]
    assert "卒業年度" in rows[0]["tsunagu_rejected_reason"]
