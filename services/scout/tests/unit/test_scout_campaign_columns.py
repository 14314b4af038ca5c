"""Japanese ATS files as they come: headers recognised by name, typed columns read or refused."""

import csv
import io

import pytest
from tsunagu_scout.domain import campaign_columns, campaign_csv


@pytest.mark.parametrize("header, field", [
    ("氏名", "name"), ("氏名（漢字）", "name"), ("お名前", "name"), ("氏名 (必須)", "name"), ("名前※", "name"),
    ("フリガナ", "name_kana"), ("ふりがな", "name_kana"), ("氏名（カナ）", "name_kana"), ("ｼﾒｲ", None),
    ("メールアドレス", "email"), ("メールアドレス（PC）", "email"), ("Ｅメール", "email"), ("E-mail", "email"),
    ("電話番号", "phone"), ("携帯電話番号", "phone"), ("TEL", "phone"), ("電話番号【必須】", "phone"),
    ("大学", "school"), ("大学名", "school"), ("学校名", "school"), ("学部", "faculty"), ("学部・学科", "faculty"),
    ("卒業年度", "graduation_year"), ("卒業予定年度", "graduation_year"), ("卒年", "graduation_year"),
    ("応募者ID", None), ("選考メモ", None), ("candidate_id", "candidate_id"), ("Name", "name"),
])
def test_headers_are_recognised_by_name(header, field):
    assert campaign_columns.field_of_header(header) == field


@pytest.mark.parametrize("value, year", [
    ("2027", 2027), ("２０２７", 2027), ("2027年", 2027), ("2027年度", 2027), ("2027年3月卒業見込み", 2027),
    ("2027/03", 2027), ("2027.0", 2027), ("二〇二七", 2027), ("二〇二七年度", 2027), ("二千二十七年", 2027),
    ("令和9年度", 2027), ("令和九年", 2027), ("平成31年", 2019), ("R9", 2027), ("27卒", 2027),
])
def test_graduation_years_as_ats_files_write_them(value, year):
    assert campaign_columns.graduation_year(value) == year


@pytest.mark.parametrize("value, why", [
    ("二〇二X", "not a year"), ("来年", "not a year"), ("2027年度の春", "not a year"), ("元年", "names no era"),
    ("三千年", "outside 1990–2100"), ("27", "outside"), ("二十七", "outside"),
])
def test_graduation_years_that_cannot_be_read_are_refused_saying_why(value, why):
    with pytest.raises(campaign_columns.NotAYear, match=why):
        campaign_columns.graduation_year(value)


def test_kana_readings_are_katakana():
    assert campaign_columns.name_kana("やまだ はなこ") == "ヤマダ ハナコ"
    assert campaign_columns.name_kana("ﾔﾏﾀﾞ ﾊﾅｺ") == "ヤマダ ハナコ"
    with pytest.raises(ValueError, match="kana"):
        campaign_columns.name_kana("山田花子")


FILE = ("応募者ID,氏名,フリガナ,メールアドレス,電話番号,大学,学部,卒業年度,選考メモ\r\n"
        "A-1,山田花子,やまだ はなこ,hanako@example.jp,090-1111-2222,東京大学,工学部,二〇二七年度,一次通過\r\n"
        "A-2,佐藤由紀,サトウ ユキ,yuki@example.jp,,京都大学,文学部,令和10年,\r\n"
        "A-3,鈴木一郎,スズキ,ichiro@example.jp,,大阪大学,理学部,二〇二X,\r\n"
        "A-4,田中,Tanaka,tanaka@example.jp,,,,,\r\n")


def test_a_japanese_ats_file_is_read_without_a_mapping_and_bad_cells_are_named_by_row_and_column():
    parsed = campaign_csv.parse(FILE, mapping={}, max_rows=100)
    assert parsed.columns == {"name": "氏名", "name_kana": "フリガナ", "email": "メールアドレス", "phone": "電話番号",
                              "school": "大学", "faculty": "学部", "graduation_year": "卒業年度"}
    rows, errors = campaign_csv.validate_rows(parsed, known_candidates=set())
    assert [(r.row, r.graduation_year, r.name_kana, r.school) for r in rows] == [
        (2, 2027, "ヤマダ ハナコ", "東京大学"), (3, 2028, "サトウ ユキ", "京都大学")]
    assert rows[0].free == {"応募者ID": "A-1", "選考メモ": "一次通過"}
    assert [(e.row, e.column) for e in errors] == [(4, "卒業年度"), (5, "フリガナ")]
    assert (campaign_csv.rejection_reason(errors[0])
            == "卒業年度: '二〇二X' is not a year (write it as 2027 or 2027年度)")
    assert errors[0].values["氏名"] == "鈴木一郎"


def test_the_export_lists_rejected_rows_in_place_with_their_reasons():
    parsed = campaign_csv.parse(FILE, mapping={}, max_rows=100)
    rows, errors = campaign_csv.validate_rows(parsed, known_candidates=set())
    applicants = [{"row": r.row, "name": r.name, "name_kana": r.name_kana, "email": r.email, "phone": r.phone,
                   "school": r.school, "faculty": r.faculty, "graduation_year": r.graduation_year, "free": r.free,
                   "candidate_id": f"ap_{r.row}", "status": "invited", "share_url": f"https://x/{r.row}"}
                  for r in rows]
    rejected = [{"row": e.row, "values": e.values, "reason": campaign_csv.rejection_reason(e)} for e in errors]
    exported = list(csv.DictReader(io.StringIO(campaign_csv.export_csv(parsed.headers, parsed.columns, applicants,
                                                                        rejected))))
    assert [(r["応募者ID"], r["tsunagu_status"]) for r in exported] == [
        ("A-1", "invited"), ("A-2", "invited"), ("A-3", "rejected"), ("A-4", "rejected")]
    assert exported[0]["卒業年度"] == "2027" and exported[2]["卒業年度"] == "二〇二X"
    assert exported[2]["tsunagu_rejected_reason"].startswith("卒業年度: ")
    assert exported[3]["tsunagu_rejected_reason"].startswith("フリガナ: ")
