"""The ATS export opened in a spreadsheet: what a recruiter's ATS sent us as a formula comes back as text."""

import csv
import io

from tsunagu_scout.domain.campaign_csv import export_csv


def test_cells_a_spreadsheet_would_run_are_exported_as_text_and_phone_numbers_are_not():
    applicants = [{"name": "=HYPERLINK(\"http://evil.example\",\"開く\")", "phone": "+81 90-1234-5678",
                   "free": {"選考メモ": "@SUM(1+1)"}, "candidate_id": "ap_1", "status": "invited",
                   "share_url": "https://tsunagu.example/c/abc", "responded_at": None}]
    text = export_csv(["氏名", "電話番号", "選考メモ"], {"name": "氏名", "phone": "電話番号"}, applicants)
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["氏名"] == "'=HYPERLINK(\"http://evil.example\",\"開く\")"
    assert row["選考メモ"] == "'@SUM(1+1)"
    assert row["電話番号"] == "+81 90-1234-5678"
    assert row["tsunagu_share_url"] == "https://tsunagu.example/c/abc"
