"""What an ATS CSV may hold: headers a document key can store, a flat mapping, phone numbers that
exist (kept in E.164) and email addresses."""

import pytest
from tsunagu_scout.domain.campaign_csv import CsvRejected, parse, parse_mapping, validate_rows


@pytest.mark.parametrize("header, says", [
    ("$where", "starts with $"), ("a.b", "holds a dot"), ("メモ\0", "NUL"), ("x" * 201, "longer than"),
])
def test_headers_a_document_key_cannot_hold_are_refused_with_the_file(header, says):
    with pytest.raises(CsvRejected) as refused:
        parse(f"name,email,{header}\r\nA,a@example.jp,1\r\n", mapping={}, max_rows=10)
    assert says in str(refused.value)


def test_a_nested_mapping_is_refused_as_a_whole():
    with pytest.raises(CsvRejected, match="not nested"):
        parse_mapping('{"a": ' * 5000 + '"name"' + "}" * 5000)
    with pytest.raises(CsvRejected, match="JSON object"):
        parse_mapping('{"氏名": {"$where": "name"}}')


def test_phone_numbers_are_kept_in_e164_and_impossible_ones_are_row_errors():
    text = ("name,email,phone\r\n"
            "Hanako,,090-1234-5678\r\n"
            "Taro,TARO@Example.JP,+81 3 1234 5678\r\n"
            "Jiro,,0120\r\n"
            "Saburo,saburo@example..jp,\r\n")
    rows, errors = validate_rows(parse(text, mapping={}, max_rows=10), known_candidates=set())
    assert [(r.name, r.email, r.phone) for r in rows] == [
        ("Hanako", None, "+819012345678"), ("Taro", "taro@example.jp", "+81312345678")]
    assert [(e.row, e.field) for e in errors] == [(4, "phone"), (5, "email")]
