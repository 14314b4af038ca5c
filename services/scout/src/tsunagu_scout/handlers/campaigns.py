"""ATS CSV campaigns: the import job (validate, store durably, link or create, publish per applicant; resumed
by another process when its own dies), responses, export."""

import asyncio
import secrets
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import structlog
from tsunagu_scout.adapters.campaigns import CampaignRepository
from tsunagu_scout.adapters.candidates import CandidateRepository
from tsunagu_scout.adapters.metrics import RUNNING, import_reached, rows_imported, rows_refused
from tsunagu_scout.config import ScoutSettings
from tsunagu_scout.domain import campaign_csv, campaign_jobs
from tsunagu_scout.domain.campaign import Campaign, ImportedApplicant, ImportMode, Invitation, Linked
from tsunagu_scout.domain.campaign_csv import ApplicantRow, CsvRejected
from tsunagu_scout.domain.model import Candidate, Company, Recruiter
from tsunagu_scout.handlers.errors import Invalid, NotFound
from tsunagu_shared.clock import Clock
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import CampaignApplicantImported, CampaignApplicantResponded, CampaignImported

log = structlog.get_logger(__name__)
SOURCE = "tsunagu/scout"
MAX_REPORTED_ERRORS = 1000


class TakenOver(Exception):
    """Another scout process claimed this import job (this one was thought dead): stop quietly."""


class InputMissing(Exception):
    """The process that took the upload died before all its rows were stored."""


def _runner_id() -> str:
    return f"{socket.gethostname()}:{uuid4().hex[:12]}"


@dataclass
class CampaignHandlers:
    campaigns: CampaignRepository
    candidates: CandidateRepository
    settings: ScoutSettings
    clock: Clock
    runner: str = field(default_factory=_runner_id)
    jobs: dict[str, asyncio.Task] = field(default_factory=dict)

    async def start_import(self, company: Company, recruiter: Recruiter, *, raw: bytes, name: str,
                           mapping_json: str | None, encoding: str, mode: ImportMode, template_id: str | None,
                           deadline: datetime | None) -> dict[str, Any]:
        """Check the file and its rows, store the valid rows durably, and import them in the background.

        The job is recorded, then its rows are stored (as chunks), before the upload is answered, so
        that the job survives this process: another one resumes it when its heartbeat stops
        (`resume_stalled`)."""
        if len(raw) > self.settings.campaign_max_bytes:
            raise Invalid(f"file: larger than {self.settings.campaign_max_bytes} bytes")
        try:
            mapping = campaign_csv.parse_mapping(mapping_json)
            parsed = campaign_csv.parse(campaign_csv.decode(raw, encoding), mapping=mapping,
                                        max_rows=self.settings.campaign_max_rows)
        except CsvRejected as exc:
            raise Invalid(f"file: {exc}") from None
        _, known = await self.candidates.directory()
        rows, errors = campaign_csv.validate_rows(parsed, known_candidates=known)
        rows_refused(len(errors))
        now = self.clock.now()
        campaign = Campaign(
            campaign_id=f"cmp_{uuid4().hex[:16]}", company_id=company.company_id, company_name=company.name,
            recruiter_id=recruiter.recruiter_id, name=name, template_id=template_id, deadline=deadline,
            mode=mode, headers=parsed.headers, columns=parsed.columns, status="running",
            rows_total=len(parsed.records), rows_done=len(errors), rows_imported=0,
            rows_failed=len(errors), errors=[e.report() for e in errors[:MAX_REPORTED_ERRORS]],
            # listed in the export with their reasons, so the file can be fixed and imported again
            rejected_rows=[{"row": e.row, "values": e.values, "reason": campaign_csv.rejection_reason(e)}
                           for e in errors[:MAX_REPORTED_ERRORS]],
            created_at=now, runner=self.runner, heartbeat_at=now, chunks_total=0,
        )
        if errors and mode == "all_or_nothing":
            campaign = campaign.model_copy(update={"status": "rejected", "rows_done": len(parsed.records),
                                                   "rows_failed": len(parsed.records), "finished_at": now})
            await self.campaigns.add(campaign, self._imported_event(campaign, now))
            import_reached("rejected")
            return await self._view(campaign.campaign_id)
        chunks = campaign_jobs.chunk_rows(rows, max_rows=self.settings.campaign_chunk_rows,
                                          max_bytes=self.settings.campaign_chunk_max_bytes)
        # the job first, marked as holding input: a crash while the chunks are written leaves a job
        # that ends failed (and its chunks dropped), never chunks that nothing points to
        campaign = campaign.model_copy(update={"chunks_total": len(chunks), "input_kept": True})
        await self.campaigns.add(campaign)
        await self.campaigns.add_chunks(campaign.campaign_id, chunks)
        self._launch(campaign.campaign_id)
        import_reached("started")
        return await self._view(campaign.campaign_id)

    async def resume_stalled(self) -> int:
        """Claim the running imports whose process stopped writing (crashed, redeployed, failed) and
        continue them here from their first chunk not done; report as failed those that cannot be
        resumed or were resumed too often. Returns how many were taken over."""
        now = self.clock.now()
        cutoff = now - timedelta(seconds=self.settings.campaign_stale_seconds)
        taken = 0
        for stalled in await self.campaigns.stalled(cutoff):
            if stalled.campaign_id in self.jobs:
                continue  # ours, only slow
            if not await self.campaigns.claim(stalled, runner=self.runner, now=now):
                continue  # another process was first
            taken += 1
            reason = campaign_jobs.why_not_resumable(stalled, max_resumes=self.settings.campaign_max_resumes)
            if reason:
                log.error("campaign_import_abandoned", campaign_id=stalled.campaign_id, reason=reason)
                await self._abandon(stalled.campaign_id, reason)
                continue
            log.warning("campaign_import_resumed", campaign_id=stalled.campaign_id, previous_runner=stalled.runner)
            self._launch(stalled.campaign_id)
            import_reached("resumed")
        return taken

    async def _abandon(self, campaign_id: str, reason: str) -> None:
        """End a job this process owns as failed, with the reason the recruiter reads, and drop its input."""
        if await self.campaigns.fail(campaign_id, self.runner, reason=reason, now=self.clock.now()):
            campaign = await self.campaigns.get(campaign_id)
            await self.campaigns.drop_input(campaign_id, (campaign.chunks_total if campaign else None) or 0)
            import_reached("failed")

    async def drop_leftover_input(self) -> int:
        """Drop the stored input of jobs that ended while their process died before dropping it."""
        left = await self.campaigns.input_left()
        for campaign_id, chunks_total in left.items():
            await self.campaigns.drop_input(campaign_id, chunks_total)
        return len(left)

    def _launch(self, campaign_id: str) -> None:
        task = asyncio.create_task(self._run(campaign_id), name=f"campaign-{campaign_id}")
        self.jobs[campaign_id] = task
        RUNNING.inc()
        task.add_done_callback(lambda _: (self.jobs.pop(campaign_id, None), RUNNING.dec()))

    async def _run(self, campaign_id: str) -> None:
        try:
            await self._import(campaign_id)
        except asyncio.CancelledError:
            raise  # shutdown: the job stays running and another process resumes it
        except TakenOver:
            log.warning("campaign_import_taken_over", campaign_id=campaign_id, runner=self.runner)
        except InputMissing:
            log.error("campaign_import_input_missing", campaign_id=campaign_id)
            await self._abandon(campaign_id, campaign_jobs.INCOMPLETE_UPLOAD)
        except Exception:
            # Its heartbeat stops: the resumer (of any process) retries it from its first chunk not
            # done, and reports it failed after campaign_max_resumes attempts.
            log.exception("campaign_import_interrupted", campaign_id=campaign_id)

    async def _import(self, campaign_id: str) -> None:
        campaign = await self.campaigns.get(campaign_id)
        if campaign is None or campaign.status != "running":
            return
        emails, _ = await self.candidates.directory()
        failed, imported = campaign.rows_failed, 0
        for n in range(campaign.chunks_total or 0):
            chunk = await self.campaigns.chunk(campaign_id, n)
            if chunk is None:
                raise InputMissing(campaign_id)
            imported += len(chunk.rows)  # counted from the chunks, so a replay never counts twice
            if chunk.done:
                continue
            await self._import_chunk(campaign, chunk.rows, emails)
            await self.campaigns.chunk_done(campaign_id, n)
            rows_imported(len(chunk.rows))
            await self._beat(campaign_id, rows_done=failed + imported, rows_imported=imported)
            await asyncio.sleep(0)  # let the API answer progress questions between chunks
        await self._finish(campaign, imported=imported)
        await self.campaigns.drop_input(campaign_id, campaign.chunks_total or 0)

    async def _beat(self, campaign_id: str, *, rows_done: int, rows_imported: int) -> None:
        """Write progress with the heartbeat, as long as this process still owns the job (a takeover
        between the check and the write costs one stale progress write: the chunks are idempotent)."""
        if await self.campaigns.runner(campaign_id) != self.runner:
            raise TakenOver(campaign_id)
        await self.campaigns.progress(campaign_id, rows_done=rows_done, rows_imported=rows_imported,
                                      now=self.clock.now())

    async def _import_chunk(self, campaign: Campaign, rows: list[ApplicantRow], emails: dict[str, str]) -> None:
        """Link or create each applicant and store her with her event; a replay changes nothing
        (applicants and created candidates are named by campaign and row, duplicates are ignored)."""
        now = self.clock.now()
        created: list[Candidate] = []
        linked_rows: list[tuple[ApplicantRow, str, Linked]] = []
        for row in rows:
            own = campaign_jobs.applicant_candidate_id(campaign.campaign_id, row.row)
            candidate_id: str | None = row.candidate_id
            linked: Linked = "candidate_id"
            if candidate_id is None and row.email and emails.get(row.email) not in (None, own):
                candidate_id, linked = emails[row.email], "email"
            if candidate_id is None:
                candidate_id, linked = own, "created"
                created.append(Candidate(candidate_id=candidate_id, display_name=row.name, email=row.email,
                                         phone=row.phone, school=row.school, faculty=row.faculty,
                                         graduation_year=row.graduation_year, origin="campaign"))
            linked_rows.append((row, candidate_id, linked))
        # An applicant this company invited before (the same file imported again, or fixed and
        # imported again) is listed, but not messaged a second time.
        first_row = {candidate_id: row.row for row, candidate_id, _ in reversed(linked_rows)}
        invited = await self.campaigns.invite(campaign.company_id, campaign.campaign_id, first_row)
        this_one = Invitation(campaign.campaign_id)  # two rows of this file are one applicant
        applicants = [self._applicant(
            campaign, row, candidate_id, linked, now,
            invited.get(candidate_id) or (this_one if first_row[candidate_id] != row.row else None))
            for row, candidate_id, linked in linked_rows]
        await self.candidates.add_many(created)
        await self.campaigns.add_applicants(campaign, applicants, now)

    def _applicant(self, campaign: Campaign, row: ApplicantRow, candidate_id: str, linked: Linked,
                   now: datetime, invited_before: Invitation | None) -> tuple[ImportedApplicant, Envelope | None]:
        """The applicant with her share URL and, unless invited before (then listed, not messaged), her event."""
        token = secrets.token_urlsafe(24)
        if invited_before is not None:
            return ImportedApplicant(row, candidate_id, linked, token, invited_before.share_url,
                                     invited_by=invited_before.campaign_id), None
        share_url = f"{self.settings.share_base_url.rstrip('/')}/{token}"
        event = CampaignApplicantImported(
            campaign_id=campaign.campaign_id, company_id=campaign.company_id, company_name=campaign.company_name,
            candidate_id=candidate_id, display_name=row.name, email=row.email, phone=row.phone,
            template_id=campaign.template_id, share_url=share_url, respond_by=campaign.deadline,
            imported_at=now,
        )
        return ImportedApplicant(row, candidate_id, linked, token, share_url), Envelope.wrap(event, source=SOURCE)

    async def _finish(self, campaign: Campaign, *, imported: int) -> None:
        now = self.clock.now()
        completed = campaign.model_copy(update={"status": "completed", "rows_done": campaign.rows_total,
                                                "rows_imported": imported, "finished_at": now})
        if not await self.campaigns.complete(completed, self.runner, self._imported_event(completed, now)):
            raise TakenOver(campaign.campaign_id)
        import_reached("completed")

    @staticmethod
    def _imported_event(campaign: Campaign, now: datetime) -> Envelope:
        event = CampaignImported(
            campaign_id=campaign.campaign_id, company_id=campaign.company_id, rows_total=campaign.rows_total,
            rows_imported=campaign.rows_imported, rows_failed=campaign.rows_failed,
            template_id=campaign.template_id, deadline=campaign.deadline, imported_at=now,
        )
        return Envelope.wrap(event, source=SOURCE)

    # -- reading, answering, exporting -----------------------------------------
    async def get(self, company_id: str, campaign_id: str) -> dict[str, Any]:
        """The campaign of this company (another company's campaign is reported as absent)."""
        return (await self._campaign_of(company_id, campaign_id)).view()

    async def _campaign_of(self, company_id: str, campaign_id: str) -> Campaign:
        campaign = await self.campaigns.get(campaign_id)
        if campaign is None or campaign.company_id != company_id:
            raise NotFound(f"no campaign {campaign_id}")
        return campaign

    async def _view(self, campaign_id: str) -> dict[str, Any]:
        """The job as stored just now (what the upload answers)."""
        campaign = await self.campaigns.get(campaign_id)
        if campaign is None:
            raise NotFound(f"no campaign {campaign_id}")
        return campaign.view()

    async def respond(self, *, share_token: str | None = None, campaign_id: str | None = None,
                      candidate_id: str | None = None) -> dict[str, Any]:
        """The applicant answers (through her share URL, or signed in): reminders to her stop."""
        now = self.clock.now()

        def responded(applicant: dict) -> Envelope:
            event = CampaignApplicantResponded(campaign_id=applicant["campaign_id"],
                                               company_id=applicant["company_id"],
                                               candidate_id=applicant["candidate_id"], responded_at=now)
            return Envelope.wrap(event, source=SOURCE)

        applicant = await self.campaigns.respond(now, responded, share_token=share_token, campaign_id=campaign_id,
                                                 candidate_id=candidate_id)
        if applicant is None:
            raise NotFound("no such invitation")
        return {"campaign_id": applicant["campaign_id"], "status": applicant["status"],
                "responded_at": applicant["responded_at"]}

    async def export(self, company_id: str, campaign_id: str) -> tuple[str, str]:
        """The CSV to put back into the ATS, and a file name for it."""
        campaign = await self._campaign_of(company_id, campaign_id)
        applicants = await self.campaigns.applicants(campaign_id)
        for applicant in applicants:
            if applicant.get("responded_at"):
                applicant["responded_at"] = applicant["responded_at"].isoformat()
        text = campaign_csv.export_csv(campaign.headers, campaign.columns, applicants, campaign.rejected_rows)
        return text, f"{campaign_id}.csv"
