"""Files a person downloads: how they are named in the response, and spreadsheet-safe cells."""

import re
import unicodedata
from urllib.parse import quote

# A cell starting with one of these is a formula to Excel and LibreOffice (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# ...unless it is a plain number or telephone number, which a spreadsheet only displays.
_PLAIN_NUMBER = re.compile(r"[+-]?[\d\s().-]*\d[\d\s().-]*")


def attachment_disposition(filename: str) -> str:
    """`Content-Disposition` for a download (RFC 6266): an ASCII fallback name, and the real name
    percent-encoded as UTF-8 (RFC 5987) when it is not plain ASCII, e.g. 履歴書.pdf."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = re.sub(r'[^A-Za-z0-9._ -]', "_", fallback).strip() or "download"
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def spreadsheet_safe(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text: a leading ' before anything it would run as a
    formula (OWASP's advice for CSV injection); numbers and phone numbers stay as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value
