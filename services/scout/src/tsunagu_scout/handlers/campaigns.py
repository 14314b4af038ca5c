"""ATS CSV campaigns: the import job (validate, link or create, publish per applicant), responses, export."""

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import uuid4

import structlog

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import CampaignApplicantImported, CampaignApplicantResponded, CampaignImported
from tsunagu_shared.outbox import OutboxRelay, new_document

from tsunagu_scout.adapters.campaigns import MongoCampaigns
from tsunagu_scout.adapters.candidates import MongoCandidates
from tsunagu_scout.config import ScoutSettings
from tsunagu_scout.domain import campaign_csv
from tsunagu_scout.domain.campaign_csv import ApplicantRow, CsvRejected, ParsedCsv
from tsunagu_scout.domain.model import Candidate, Company, Recruiter
from tsunagu_scout.handlers.errors import Invalid, NotFound

log = structlog.get_logger(__name__)
SOURCE = "tsunagu/scout"
MAX_REPORTED_ERRORS = 1000
ImportMode = Literal["all_or_nothing", "partial"]


@dataclass
class CampaignHandlers:
    campaigns: MongoCampaigns
    candidates: MongoCandidates
    relay: OutboxRelay
    settings: ScoutSettings
    clock: Callable[[], datetime]
    jobs: set[asyncio.Task] = field(default_factory=set)

    async def start_import(self, company: Company, recruiter: Recruiter, *, raw: bytes, name: str,
                           mapping_json: str | None, encoding: str, mode: ImportMode, template_id: str | None,
                           deadline: datetime | None) -> dict[str, Any]:
        """Check the file as a whole, record the job, and import its rows in the background."""
        if len(raw) > self.settings.campaign_max_bytes:
            raise Invalid(f"file: larger than {self.settings.campaign_max_bytes} bytes")
        try:
            mapping = campaign_csv.parse_mapping(mapping_json)
            parsed = campaign_csv.parse(campaign_csv.decode(raw, encoding), mapping=mapping,
                                        max_rows=self.settings.campaign_max_rows)
        except CsvRejected as exc:
            raise Invalid(f"file: {exc}") from None
        campaign = {
            "_id": f"cmp_{uuid4().hex[:16]}", "company_id": company.company_id, "company_name": company.name,
            "recruiter_id": recruiter.recruiter_id, "name": name, "template_id": template_id, "deadline": deadline,
            "mode": mode, "headers": parsed.headers, "columns": parsed.columns, "status": "running",
            "rows_total": len(parsed.records), "rows_done": 0, "rows_imported": 0, "rows_failed": 0, "errors": [],
            "created_at": self.clock(), "finished_at": None,
        }
        await self.campaigns.add(campaign)
        task = asyncio.create_task(self._run(campaign, parsed), name=f"campaign-{campaign['_id']}")
        self.jobs.add(task)
        task.add_done_callback(self.jobs.discard)
        return self._public(await self.campaigns.get(campaign["_id"]))

    async def _run(self, campaign: dict[str, Any], parsed: ParsedCsv) -> None:
        try:
            await self._import(campaign, parsed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("campaign_import_failed", campaign_id=campaign["_id"])
            await self.campaigns.progress(campaign["_id"], {"status": "failed", "failure": str(exc),
                                                            "finished_at": self.clock()})

    async def _import(self, campaign: dict[str, Any], parsed: ParsedCsv) -> None:
        emails, ids = await self.candidates.directory()
        rows, errors = campaign_csv.validate_rows(parsed, known_candidates=ids)
        report = [{"row": e.row, "field": e.field, "message": e.message} for e in errors[:MAX_REPORTED_ERRORS]]
        if errors and campaign["mode"] == "all_or_nothing":
            await self._finish(campaign, status="rejected", imported=0, failed=len(parsed.records), report=report)
            return
        await self.campaigns.progress(campaign["_id"], {"rows_done": len(errors), "rows_failed": len(errors),
                                                        "errors": report})
        chunk = self.settings.campaign_chunk_rows
        for start in range(0, len(rows), chunk):
            await self._import_chunk(campaign, rows[start:start + chunk], emails)
            await self.campaigns.progress(campaign["_id"], {"rows_done": len(errors) + min(start + chunk, len(rows)),
                                                            "rows_imported": min(start + chunk, len(rows))})
            await asyncio.sleep(0)  # let the API answer progress questions between chunks
        await self._finish(campaign, status="completed", imported=len(rows), failed=len(errors), report=report)

    async def _import_chunk(self, campaign: dict[str, Any], rows: list[ApplicantRow], emails: dict[str, str]) -> None:
        now = self.clock()
        created: list[Candidate] = []
        documents = []
        for row in rows:
            candidate_id, linked = row.candidate_id, "candidate_id"
            if candidate_id is None and row.email and row.email in emails:
                candidate_id, linked = emails[row.email], "email"
            if candidate_id is None:
                candidate_id, linked = f"ap_{uuid4().hex}", "created"
                created.append(Candidate(candidate_id=candidate_id, display_name=row.name, email=row.email,
                                         phone=row.phone, origin="campaign"))
            documents.append(self._applicant_document(campaign, row, candidate_id, linked, now))
        await self.candidates.add_many(created)
        await self.campaigns.add_applicants(documents)
        self.relay.wake()

    def _applicant_document(self, campaign: dict, row: ApplicantRow, candidate_id: str, linked: str,
                            now: datetime) -> dict:
        token = secrets.token_urlsafe(24)
        share_url = f"{self.settings.share_base_url.rstrip('/')}/{token}"
        event = CampaignApplicantImported(
            campaign_id=campaign["_id"], company_id=campaign["company_id"], company_name=campaign["company_name"],
            candidate_id=candidate_id, display_name=row.name, email=row.email, phone=row.phone,
            template_id=campaign["template_id"], share_url=share_url, respond_by=campaign["deadline"],
            imported_at=now,
        )
        document = {
            "_id": f"{campaign['_id']}:{row.row}", "campaign_id": campaign["_id"], "company_id": campaign["company_id"],
            "row": row.row, "candidate_id": candidate_id, "linked": linked, "name": row.name, "email": row.email,
            "phone": row.phone, "free": row.free, "share_token": token, "share_url": share_url,
            "status": "invited", "responded_at": None, "imported_at": now,
        }
        return new_document(document, Envelope.wrap(event, source=SOURCE))

    async def _finish(self, campaign: dict, *, status: str, imported: int, failed: int, report: list) -> None:
        now = self.clock()
        event = CampaignImported(
            campaign_id=campaign["_id"], company_id=campaign["company_id"], rows_total=campaign["rows_total"],
            rows_imported=imported, rows_failed=failed, template_id=campaign["template_id"],
            deadline=campaign["deadline"], imported_at=now,
        )
        fields = {"status": status, "rows_done": campaign["rows_total"], "rows_imported": imported,
                  "rows_failed": failed, "errors": report, "finished_at": now}
        await self.campaigns.progress(campaign["_id"], fields, Envelope.wrap(event, source=SOURCE))
        self.relay.wake()

    # -- reading, answering, exporting -----------------------------------------
    async def get(self, company_id: str, campaign_id: str) -> dict[str, Any]:
        """The campaign of this company (another company's campaign is reported as absent)."""
        campaign = await self.campaigns.get(campaign_id)
        if campaign is None or campaign["company_id"] != company_id:
            raise NotFound(f"no campaign {campaign_id}")
        return self._public(campaign)

    @staticmethod
    def _public(campaign: dict[str, Any]) -> dict[str, Any]:
        return {"campaign_id": campaign["_id"], **{k: v for k, v in campaign.items() if k != "_id"}}

    async def respond(self, *, share_token: str | None = None, campaign_id: str | None = None,
                      candidate_id: str | None = None) -> dict[str, Any]:
        """The applicant answers (through her share URL, or signed in): reminders to her stop."""
        query = {"share_token": share_token} if share_token else {"campaign_id": campaign_id,
                                                                   "candidate_id": candidate_id}
        now = self.clock()

        def responded(applicant: dict) -> Envelope:
            event = CampaignApplicantResponded(campaign_id=applicant["campaign_id"],
                                               company_id=applicant["company_id"],
                                               candidate_id=applicant["candidate_id"], responded_at=now)
            return Envelope.wrap(event, source=SOURCE)

        applicant = await self.campaigns.respond(query, now, responded)
        if applicant is None:
            raise NotFound("no such invitation")
        self.relay.wake()
        return {"campaign_id": applicant["campaign_id"], "status": applicant["status"],
                "responded_at": applicant["responded_at"]}

    async def export(self, company_id: str, campaign_id: str) -> tuple[str, str]:
        """The CSV to put back into the ATS, and a file name for it."""
        campaign = await self.get(company_id, campaign_id)
        applicants = await self.campaigns.applicants(campaign_id)
        for applicant in applicants:
            if applicant.get("responded_at"):
                applicant["responded_at"] = applicant["responded_at"].isoformat()
        text = campaign_csv.export_csv(campaign["headers"], campaign["columns"], applicants)
        return text, f"{campaign_id}.csv"
