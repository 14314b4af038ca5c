"""Pure rules of durable campaign imports: chunking within the document limit, replay-stable ids."""

from datetime import UTC, datetime

import pytest
from tsunagu_scout.domain import campaign_jobs
from tsunagu_scout.domain.campaign import Campaign
from tsunagu_scout.domain.campaign_csv import ApplicantRow


def rows(count: int, *, note: str = "") -> list[ApplicantRow]:
    return [ApplicantRow(i + 2, f"Applicant {i}", f"a{i}@example.jp", None, None, {"note": note}) for i in range(count)]


def test_chunks_keep_every_row_once_in_order_and_respect_the_row_limit():
    chunks = campaign_jobs.chunk_rows(rows(2501), max_rows=1000, max_bytes=10_000_000)
    assert [len(c) for c in chunks] == [1000, 1000, 501]
    assert [r.row for c in chunks for r in c] == list(range(2, 2503))


def test_chunks_are_cut_by_size_so_a_document_stays_far_below_16_mb():
    big = rows(50, note="x" * 100_000)  # about 100 kB a row
    chunks = campaign_jobs.chunk_rows(big, max_rows=1000, max_bytes=1_000_000)
    assert all(sum(campaign_jobs.row_bytes(r) for r in c) <= 1_000_000 for c in chunks)
    assert sum(len(c) for c in chunks) == 50 and len(chunks) > 1


def test_a_row_larger_than_a_chunk_gets_a_chunk_of_its_own():
    chunks = campaign_jobs.chunk_rows(rows(3, note="y" * 5_000), max_rows=10, max_bytes=1_000)
    assert [len(c) for c in chunks] == [1, 1, 1]


def test_no_rows_no_chunks_and_a_limit_of_zero_is_refused():
    assert campaign_jobs.chunk_rows([], max_rows=10, max_bytes=100) == []
    with pytest.raises(ValueError):
        campaign_jobs.chunk_rows(rows(1), max_rows=0, max_bytes=100)


def test_created_candidate_id_is_the_same_on_replay_and_differs_by_row_and_campaign():
    first = campaign_jobs.applicant_candidate_id("cmp_1", 2)
    assert first == campaign_jobs.applicant_candidate_id("cmp_1", 2) and first.startswith("ap_")
    assert first != campaign_jobs.applicant_candidate_id("cmp_1", 3)
    assert first != campaign_jobs.applicant_candidate_id("cmp_2", 2)


def test_a_row_survives_its_round_trip_through_a_chunk_document():
    row = ApplicantRow(7, "山田花子", None, "08011112222", "cand-1", {"ATS ID": "A-7", "メモ": "一次面接済"})
    assert campaign_jobs.row_from_document(campaign_jobs.row_document(row)) == row


def job(**fields) -> Campaign:
    return Campaign(campaign_id="cmp_1", company_id="acme", company_name="acme Inc.", recruiter_id="rec-1",
                    name="spring", mode="partial", headers=["name"], columns={"name": "name"}, status="running",
                    rows_total=10, rows_done=0, rows_imported=0, rows_failed=0,
                    created_at=datetime(2026, 4, 1, tzinfo=UTC), **fields)


def test_a_stalled_job_is_resumed_a_bounded_number_of_times():
    assert campaign_jobs.why_not_resumable(job(chunks_total=3), max_resumes=3) is None
    assert campaign_jobs.why_not_resumable(job(chunks_total=3, resumes=2), max_resumes=3) is None
    assert "stopped 4 times" in (campaign_jobs.why_not_resumable(job(chunks_total=3, resumes=3), max_resumes=3) or "")


def test_a_job_without_stored_rows_cannot_be_resumed_and_says_to_upload_again():
    assert "upload the file again" in (campaign_jobs.why_not_resumable(job(resumes=0), max_resumes=3) or "")


def test_a_job_records_only_the_fields_it_has_gained_and_its_view_hides_its_input():
    started = job(runner="pod-1", chunks_total=0, input_kept=True, rejected_rows=[{"row": 2}])
    assert started.recorded()["chunks_total"] == 0  # zero chunks is a value, not an absent field
    assert {"resumes", "failure"}.isdisjoint(started.recorded())
    assert started.recorded()["input_kept"] is True and "input_kept" not in job().recorded()
    view = started.view()
    assert view["campaign_id"] == "cmp_1" and view["template_id"] is None
    assert {"input_kept", "rejected_rows"}.isdisjoint(view)
