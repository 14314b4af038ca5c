"""A campaign: one import job of an ATS CSV, its progress and its per-row report (pure data)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from tsunagu_scout.domain.campaign_csv import ApplicantRow

ImportMode = Literal["all_or_nothing", "partial"]
CampaignStatus = Literal["running", "completed", "rejected", "failed"]
# How an applicant row was tied to a candidate: the id the file gave, her known email, or a new identity.
Linked = Literal["candidate_id", "email", "created"]


class Campaign(BaseModel):
    """The job as the recruiter follows it. Built once per upload and read once per run: the rows
    themselves travel in chunks (`campaign_jobs`), never through this model."""

    campaign_id: str
    company_id: str
    company_name: str
    recruiter_id: str
    name: str
    template_id: str | None = None
    deadline: datetime | None = None
    mode: ImportMode
    headers: list[str]
    columns: dict[str, str]  # field -> header
    status: CampaignStatus
    rows_total: int
    rows_done: int
    rows_imported: int
    rows_failed: int
    errors: list[dict[str, Any]] = []  # the per-row report (the first ones)
    # the refused rows as the file gave them, with the reason, for the export (not in the job view)
    rejected_rows: list[dict[str, Any]] = []
    created_at: datetime
    finished_at: datetime | None = None
    # Which process imports it and when it last wrote: absent on jobs from before imports were resumable.
    runner: str | None = None
    heartbeat_at: datetime | None = None
    chunks_total: int | None = None
    resumes: int | None = None  # how often another process took it over
    failure: str | None = None  # why a failed job failed, for the recruiter
    input_kept: bool = False  # its rows are still stored (personal data: dropped once it ends)

    def recorded(self) -> dict[str, Any]:
        """Its fields, without those it has not gained yet (a job gains them as it runs)."""
        return {key: value for key, value in self.model_dump().items()
                if key not in _GAINED_AS_IT_RUNS or (value is not None and value is not False)}

    def view(self) -> dict[str, Any]:
        """What the recruiter reads of the job (the refused rows' cells are in the export)."""
        return {key: value for key, value in self.recorded().items() if key not in ("input_kept", "rejected_rows")}


_GAINED_AS_IT_RUNS = frozenset({"runner", "heartbeat_at", "chunks_total", "resumes", "failure", "input_kept"})


@dataclass(frozen=True, slots=True)
class Invitation:
    """The campaign that first invited an applicant of this company, and the share URL it gave her
    (empty while that import has not stored her yet)."""

    campaign_id: str
    share_url: str = ""


@dataclass(frozen=True, slots=True)
class ImportedApplicant:
    """One applicant row once tied to a candidate (a plain dataclass: one per row on the import's hot path)."""

    row: ApplicantRow
    candidate_id: str
    linked: Linked
    share_token: str
    share_url: str
    invited_by: str | None = None  # the campaign that invited her before: she is listed, not messaged


@dataclass(frozen=True, slots=True)
class StoredChunk:
    """A chunk of an import's stored input, read back: its rows, and whether they were imported already."""

    rows: list[ApplicantRow]
    done: bool
