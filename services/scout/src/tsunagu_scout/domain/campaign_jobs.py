"""How a campaign import is cut into durable chunks and replayed without duplicates (pure).

The valid rows of an upload are stored as chunks before the job starts; any scout process
may import a chunk again after a crash, so everything a chunk creates is named by the
campaign and the row, never by chance.
"""

import json
import uuid
from typing import Any

from tsunagu_scout.domain.campaign import Campaign
from tsunagu_scout.domain.campaign_csv import ApplicantRow

# Any fixed namespace: it only has to be the same in every scout process, forever.
_APPLICANT_NAMESPACE = uuid.UUID("5c0f1d2e-7a3b-4c8d-9e1f-2a3b4c5d6e7f")
# Per row, what BSON adds around the JSON text of its fields (keys, lengths, types).
_ROW_OVERHEAD_BYTES = 64


def applicant_candidate_id(campaign_id: str, row: int) -> str:
    """The candidate id created for an applicant row that matched nobody: the same on every replay."""
    return "ap_" + uuid.uuid5(_APPLICANT_NAMESPACE, f"{campaign_id}:{row}").hex


def row_document(row: ApplicantRow) -> dict[str, Any]:
    """An applicant row as stored in a chunk."""
    # field by field: dataclasses.asdict deep-copies recursively (~0.2 ms a row under the
    # profiler, and this runs twice per row: for the chunk's size, then to store it)
    return {"row": row.row, "name": row.name, "email": row.email, "phone": row.phone,
            "candidate_id": row.candidate_id, "free": dict(row.free), "name_kana": row.name_kana,
            "school": row.school, "faculty": row.faculty, "graduation_year": row.graduation_year}


def row_from_document(document: dict[str, Any]) -> ApplicantRow:
    """An applicant row read back from a chunk."""
    return ApplicantRow(row=document["row"], name=document["name"], email=document.get("email"),
                        phone=document.get("phone"), candidate_id=document.get("candidate_id"),
                        free=dict(document.get("free") or {}), name_kana=document.get("name_kana"),
                        school=document.get("school"), faculty=document.get("faculty"),
                        graduation_year=document.get("graduation_year"))


def row_bytes(row: ApplicantRow) -> int:
    """A generous estimate of the stored size of one row."""
    return len(json.dumps(row_document(row), ensure_ascii=False).encode()) + _ROW_OVERHEAD_BYTES


def chunk_rows(rows: list[ApplicantRow], *, max_rows: int, max_bytes: int) -> list[list[ApplicantRow]]:
    """Consecutive rows in chunks of at most `max_rows` rows and about `max_bytes` bytes each
    (a database document is limited to 16 MB). A single row larger than `max_bytes` gets a chunk
    of its own; the whole file is bounded far below 16 MB, so such a row still fits."""
    if max_rows < 1 or max_bytes < 1:
        raise ValueError("chunks need room for at least one row")
    chunks: list[list[ApplicantRow]] = []
    current: list[ApplicantRow] = []
    size = 0
    for row in rows:
        weight = row_bytes(row)
        if current and (len(current) >= max_rows or size + weight > max_bytes):
            chunks.append(current)
            current, size = [], 0
        current.append(row)
        size += weight
    if current:
        chunks.append(current)
    return chunks


def chunk_id(campaign_id: str, n: int) -> str:
    """The `_id` of chunk n of a campaign (chunks are read and written by `_id` alone)."""
    return f"{campaign_id}:{n}"


INCOMPLETE_UPLOAD = "the upload was interrupted before all its rows were stored; upload the file again"


def why_not_resumable(job: Campaign, *, max_resumes: int) -> str | None:
    """Why a stalled import job must be reported failed instead of continued, or None to continue
    it. `job.resumes` is how often it was resumed before (its first run is not a resume)."""
    if job.chunks_total is None:
        return ("the import was interrupted by a restart of the service before imports could be "
                "resumed; upload the file again")
    if (job.resumes or 0) >= max_resumes:
        return (f"the import stopped {max_resumes + 1} times (its service process died or failed); "
                "the rows imported so far are kept, upload the rest again or contact support")
    return None
