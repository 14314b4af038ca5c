"""Download names and spreadsheet-safe CSV cells (pure)."""

import pytest
from tsunagu_shared.files import attachment_disposition, spreadsheet_safe


def test_ascii_names_stay_plain_and_others_are_encoded_with_a_fallback():
    assert attachment_disposition("brochure.pdf") == 'attachment; filename="brochure.pdf"'
    japanese = attachment_disposition("履歴書.pdf")
    assert japanese == "attachment; filename=\".pdf\"; filename*=UTF-8''%E5%B1%A5%E6%AD%B4%E6%9B%B8.pdf"
    assert japanese.encode("latin-1")  # a header value HTTP can carry
    quoted = attachment_disposition('a"b\r\nc.csv')
    assert "\r" not in quoted and "\n" not in quoted and 'filename="a_b__c.csv"' in quoted


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1"])
def test_formulas_are_written_as_text(cell):
    assert spreadsheet_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["+81 90-1234-5678", "-12.5", "080-1111-2222", "山田花子", "", None, 3])
def test_numbers_phones_and_text_are_unchanged(cell):
    assert spreadsheet_safe(cell) == cell
