"""ATS applicant CSV files: decoding, header mapping, per-row validation and export (pure).

Rows are numbered as a spreadsheet shows them: the header is row 1, the first applicant row 2.
Headers are recognised by name (氏名, メールアドレス …: campaign_columns) unless the recruiter's
mapping says otherwise. Columns that are not mapped to a field are "free columns" (ATS ids, notes)
kept verbatim. Rejected rows come back in the export with their reason, so the file can be fixed
and imported again.
"""

import csv
import dataclasses
import io
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from tsunagu_shared.contact_points import e164, email_address
from tsunagu_shared.files import spreadsheet_safe

from tsunagu_scout.domain import campaign_columns

FIELDS = ("name", "name_kana", "email", "phone", "school", "faculty", "graduation_year", "candidate_id")
EXPORT_COLUMNS = ("tsunagu_candidate_id", "tsunagu_status", "tsunagu_share_url", "tsunagu_responded_at",
                  "tsunagu_rejected_reason")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_NOISE = re.compile(r"[\s\-()]")
MAX_HEADER_CHARS = 200


class CsvRejected(ValueError):
    """The file as a whole cannot be read (encoding, header, mapping); nothing is imported."""


@dataclass(frozen=True)
class ParsedCsv:
    headers: list[str]
    columns: dict[str, str]  # field -> header
    records: list[tuple[int, list[str]]]  # (row number, values)


@dataclass(frozen=True)
class ApplicantRow:
    row: int
    name: str
    email: str | None
    phone: str | None
    candidate_id: str | None
    free: dict[str, str] = field(default_factory=dict)
    name_kana: str | None = None
    school: str | None = None
    faculty: str | None = None
    graduation_year: int | None = None


@dataclass(frozen=True)
class RowError:
    row: int
    field: str | None
    message: str
    column: str | None = None  # the header of the column at fault, as the file names it
    values: dict[str, str] = dataclasses.field(default_factory=dict)  # the row as the file gave it (for the export)

    def report(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "column": self.column, "message": self.message}


def decode(raw: bytes, encoding: str = "auto") -> str:
    """Text of the file: UTF-8 (with or without BOM) or Shift_JIS (as Excel writes it, cp932)."""
    if encoding == "utf-8":
        candidates = ["utf-8-sig"]
    elif encoding == "shift_jis":
        candidates = ["cp932"]
    else:
        candidates = ["utf-8-sig", "cp932"]
    for name in candidates:
        try:
            return raw.decode(name)
        except UnicodeDecodeError:
            continue
    tried = " or ".join("UTF-8" if c.startswith("utf") else "Shift_JIS" for c in candidates)
    raise CsvRejected(f"file is not valid {tried}")


def parse_mapping(mapping_json: str | None) -> dict[str, str]:
    """The recruiter's header mapping, CSV header -> field, from JSON."""
    if not mapping_json:
        return {}
    try:
        mapping = json.loads(mapping_json)
    except json.JSONDecodeError as exc:
        raise CsvRejected(f"mapping is not valid JSON: {exc.msg}") from exc
    except RecursionError:
        raise CsvRejected('mapping must be a JSON object {"CSV header": "field"}, not nested') from None
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise CsvRejected('mapping must be a JSON object {"CSV header": "field"}')
    unknown = sorted(set(mapping.values()) - set(FIELDS))
    if unknown:
        raise CsvRejected(f"mapping targets unknown fields {unknown}; known fields are {list(FIELDS)}")
    return mapping


def parse(text: str, *, mapping: dict[str, str], max_rows: int) -> ParsedCsv:
    """Split the file into header and records, and find which column holds which field."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration:
        raise CsvRejected("file is empty") from None
    except csv.Error as exc:
        raise CsvRejected(f"header row is not valid CSV: {exc}") from exc
    for header in headers:
        _check_header(header)
    duplicates = sorted({h for h in headers if headers.count(h) > 1})
    if duplicates:
        raise CsvRejected(f"duplicate column headers {duplicates}")
    columns = _columns(headers, mapping)
    records: list[tuple[int, list[str]]] = []
    row = 1
    try:
        for values in reader:
            row += 1
            if not any(v.strip() for v in values):
                continue
            records.append((row, values))
            if len(records) > max_rows:
                raise CsvRejected(f"more than {max_rows} rows; split the file")
    except csv.Error as exc:
        raise CsvRejected(f"row {row + 1} is not valid CSV: {exc}") from exc
    return ParsedCsv(headers=headers, columns=columns, records=records)


def _check_header(header: str) -> None:
    # Free columns are stored under their header's name, which a document key must be able to hold.
    shown = header[:40].replace("\0", "\\0")
    if "\0" in header:
        raise CsvRejected(f"column header {shown!r} holds a NUL character")
    if header.startswith("$") or "." in header:
        raise CsvRejected(f"column header {shown!r} starts with $ or holds a dot; rename the column")
    if len(header) > MAX_HEADER_CHARS:
        raise CsvRejected(f"column header {shown!r}… is longer than {MAX_HEADER_CHARS} characters")


def _columns(headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
    missing_headers = sorted(h for h in mapping if h not in headers)
    if missing_headers:
        raise CsvRejected(f"mapping names columns not in the file: {missing_headers}")
    columns = campaign_columns.recognised_columns(headers, taken=set(mapping), fields=set(mapping.values()))
    columns.update({f: h for h, f in mapping.items()})
    if "name" not in columns:
        raise CsvRejected("no name column: map one with the mapping parameter")
    if "email" not in columns and "phone" not in columns:
        raise CsvRejected("no email or phone column: map at least one")
    return columns


def validate_rows(parsed: ParsedCsv, *, known_candidates: set[str]) -> tuple[list[ApplicantRow], list[RowError]]:
    """Every record checked on its own: the valid applicants, and one error per bad row."""
    rows: list[ApplicantRow] = []
    errors: list[RowError] = []
    seen_emails: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    index = {h: i for i, h in enumerate(parsed.headers)}
    mapped = set(parsed.columns.values())
    for row, values in parsed.records:
        given = dict(zip(parsed.headers, values, strict=False))  # a short or long row is reported below
        if len(values) != len(parsed.headers):
            errors.append(RowError(row, None, f"row has {len(values)} fields, the header has {len(parsed.headers)}",
                                   values=given))
            continue
        get = {f: values[index[h]].strip() for f, h in parsed.columns.items()}
        applicant = _applicant(row, get, known_candidates)
        if isinstance(applicant, RowError):
            errors.append(RowError(row, applicant.field, applicant.message,
                                   column=parsed.columns.get(applicant.field or ""), values=given))
            continue
        error = None
        if applicant.email and applicant.email in seen_emails:
            error = RowError(row, "email", f"same email as row {seen_emails[applicant.email]}",
                             column=parsed.columns["email"], values=given)
        elif applicant.candidate_id and applicant.candidate_id in seen_ids:
            error = RowError(row, "candidate_id", f"same candidate_id as row {seen_ids[applicant.candidate_id]}",
                             column=parsed.columns["candidate_id"], values=given)
        if error is not None:
            errors.append(error)
            continue
        if applicant.email:
            seen_emails[applicant.email] = row
        if applicant.candidate_id:
            seen_ids[applicant.candidate_id] = row
        free = {h: values[i] for h, i in index.items() if h not in mapped}
        rows.append(replace(applicant, free=free))
    return rows, errors


def _applicant(row: int, get: dict[str, str], known: set[str]) -> ApplicantRow | RowError:
    """The row as an applicant, or what is wrong with it."""
    name = get.get("name", "")
    email = get.get("email") or None
    phone = get.get("phone") or None
    candidate_id = get.get("candidate_id") or None
    if not name:
        return RowError(row, "name", "name is empty")
    if email is None and phone is None:
        return RowError(row, "email", "neither email nor phone is given")
    try:
        email = email_address(email) if email is not None else None
    except ValueError:
        return RowError(row, "email", f"not an email address: {email!r}")
    try:
        phone = e164(phone) if phone is not None else None
    except ValueError as exc:
        return RowError(row, "phone", f"{exc}: {get.get('phone')!r}")
    if candidate_id is not None and candidate_id not in known:
        return RowError(row, "candidate_id", f"unknown candidate_id {candidate_id!r}")
    typed: dict[str, Any] = {}
    for name_of_field, read in (("graduation_year", campaign_columns.graduation_year),
                                ("name_kana", campaign_columns.name_kana)):
        if get.get(name_of_field):
            try:
                typed[name_of_field] = read(get[name_of_field])
            except ValueError as exc:
                return RowError(row, name_of_field, str(exc))
    for text_field in ("school", "faculty"):
        if len(get.get(text_field, "")) > 200:
            return RowError(row, text_field, "longer than 200 characters")
    return ApplicantRow(row, name, email, phone, candidate_id, school=get.get("school") or None,
                        faculty=get.get("faculty") or None, **typed)


def export_csv(headers: list[str], columns: dict[str, str], applicants: list[dict[str, Any]],
               rejected: list[dict[str, Any]] | None = None) -> str:
    """The campaign for the ATS: the original columns (free ones verbatim) plus status and share URL,
    and the rejected rows as the file gave them with the reason, all in the file's row order.

    Each applicant dict has `row`, the fields, `free`, `candidate_id`, `status`, `share_url`,
    `responded_at`; each rejected one `row`, `values` (header -> cell) and `reason`.
    A cell a spreadsheet would run as a formula is written with a leading ' (`spreadsheet_safe`)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(h) for h in [*headers, *EXPORT_COLUMNS]])
    field_of = {h: f for f, h in columns.items()}
    lines: list[tuple[int, list[Any]]] = []
    for applicant in applicants:
        original = [
            _cell(applicant.get(field_of[h])) if h in field_of else applicant["free"].get(h, "") for h in headers
        ]
        lines.append((applicant.get("row", 0), [
            *original, applicant["candidate_id"], applicant["status"], applicant["share_url"],
            applicant.get("responded_at") or "", "",
        ]))
    for row in rejected or []:
        lines.append((row["row"], [*(row["values"].get(h, "") for h in headers), "", "rejected", "", "",
                                   row["reason"]]))
    for _, cells in sorted(lines, key=lambda line: line[0]):
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return out.getvalue()


def rejection_reason(error: RowError) -> str:
    """What the export says about a rejected row: the column named as the file names it."""
    return f"{error.column}: {error.message}" if error.column else error.message


def _cell(value: object) -> str:
    return "" if value is None else str(value)
