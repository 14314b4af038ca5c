"""Pure scout rules: reason, refusals, cooldowns, recommendations, CSV rows."""

from datetime import UTC, datetime, timedelta

import pytest
from tsunagu_scout.domain import campaign_csv, recommend, rules
from tsunagu_scout.domain.model import Candidate, Company, Plan, Relation

NOW = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("reason, message", [
    ("", "empty"), ("   ", "empty"), ("Hi there", "too short"),
    ("Dear student,  we like you!", "template body"), ("dear STUDENT, we like you!", "template body"),
])
def test_reason_refused(reason, message):
    with pytest.raises(ValueError, match=message):
        rules.check_reason(reason, template_body="Dear student, we like you!", min_chars=10)


def test_reason_written_for_her_passes_and_is_stripped():
    assert rules.check_reason("  あなたのロボット研究に惹かれました  ", template_body="テンプレート", min_chars=10) \
        == "あなたのロボット研究に惹かれました"


def test_refusals_block_thread_and_cooldown():
    base = Relation(company_id="c", candidate_id="s")
    assert rules.refusal(None, NOW) is None
    assert "blocked" in rules.refusal(base.model_copy(update={"blocked": True}), NOW)
    assert "thread" in rules.refusal(base.model_copy(update={"thread_open": True}), NOW)
    cooling = base.model_copy(update={"cooldown_until": NOW + timedelta(days=1)})
    assert "cooldown" in rules.refusal(cooling, NOW)
    assert rules.refusal(cooling, NOW + timedelta(days=2)) is None


def test_cooldown_after_decline_and_expiry_but_not_reply():
    assert rules.cooldown_after("declined", NOW, decline_days=180, no_reply_days=90) == NOW + timedelta(days=180)
    assert rules.cooldown_after("expired", NOW, decline_days=180, no_reply_days=90) == NOW + timedelta(days=90)
    assert rules.cooldown_after("replied", NOW, decline_days=180, no_reply_days=90) is None


def test_quota_month_is_japanese_calendar_month():
    assert rules.month_key(datetime(2026, 4, 30, 16, 0, tzinfo=UTC)) == "2026-05"


def _company(cid, **kw):
    return Company(company_id=cid, name=cid, status=kw.pop("status", "active"), plan=Plan(name="p"),
                   joined_at=NOW, updated_at=NOW, **kw)


def test_recommendations_rank_by_fit_and_skip_inactive_and_blocked():
    her = Candidate(candidate_id="s", industries=["IT", "Finance"], location="Tokyo", graduation_year=2027)
    companies = [
        _company("none"), _company("it", industries=["it"]),
        _company("best", industries=["IT", "finance"], location="tokyo", scouts_for=["2027"]),
        _company("gone", industries=["IT"], status="inactive"), _company("blocked", industries=["IT", "Finance"]),
    ]
    ranked = recommend.recommend(her, companies, day="2026-04-10", limit=3, excluded={"blocked"})
    assert [c.company_id for c, _ in ranked] == ["best", "it", "none"]


def _parse(text, mapping=None):
    return campaign_csv.parse(text, mapping=mapping or {}, max_rows=100)


def test_csv_rows_validated_one_by_one_with_free_columns_kept():
    text = ("ATS ID,name,email,phone,メモ\r\n"
            "A-1,Hanako,hanako@example.jp,,一次面接済\r\n"
            "A-2,,taro@example.jp,,\r\n"
            "A-3,Jiro,not-an-email,,\r\n"
            "A-4,Saburo,,090-1234-5678,\r\n"
            "A-5,Dup,HANAKO@example.jp,,\r\n"
            "A-6,Short\r\n")
    rows, errors = campaign_csv.validate_rows(_parse(text), known_candidates=set())
    assert [r.row for r in rows] == [2, 5]
    assert rows[0].free == {"ATS ID": "A-1", "メモ": "一次面接済"}
    assert rows[1].phone == "+819012345678"  # E.164, read as a Japanese number
    assert [(e.row, e.field) for e in errors] == [(3, "name"), (4, "email"), (6, "email"), (7, None)]


def test_csv_header_mapping_and_file_level_rejections():
    parsed = _parse("氏名,メール,候補者ID\r\n花子,h@example.jp,cand-1\r\n",
                    campaign_csv.parse_mapping('{"氏名": "name", "メール": "email", "候補者ID": "candidate_id"}'))
    rows, errors = campaign_csv.validate_rows(parsed, known_candidates={"cand-1"})
    assert rows[0].candidate_id == "cand-1" and rows[0].free == {} and not errors
    with pytest.raises(campaign_csv.CsvRejected, match="no name column"):
        _parse("email\r\nx@example.jp\r\n")
    with pytest.raises(campaign_csv.CsvRejected, match="unknown fields"):
        campaign_csv.parse_mapping('{"x": "salary"}')
    with pytest.raises(campaign_csv.CsvRejected, match="not in the file"):
        _parse("name,email\r\n", {"氏名": "name"})


def test_csv_decodes_shift_jis_and_utf8_bom():
    text = "name,email\r\n山田花子,h@example.jp\r\n"
    assert campaign_csv.decode(text.encode("cp932")) == text
    assert campaign_csv.decode(text.encode("utf-8-sig")) == text
    with pytest.raises(campaign_csv.CsvRejected):
        campaign_csv.decode(b"\xff\xfe\x00bad\x81", "utf-8")
