"""ATS CSV campaigns (the import job and its progress) and their applicants."""

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError
from tsunagu_shared.db import packed, unpacked
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import CARRIED_BY, OUTBOX, PENDING, new_document, outbox_collection, with_events

from tsunagu_scout.adapters.candidates import ignore_duplicates
from tsunagu_scout.domain.campaign import Campaign, ImportedApplicant, Invitation, StoredChunk
from tsunagu_scout.domain.campaign_csv import ApplicantRow
from tsunagu_scout.domain.campaign_jobs import chunk_id, row_document, row_from_document

CAMPAIGNS = "campaigns"
APPLICANTS = "campaign_applicants"
CHUNKS = "campaign_chunks"
# One document per company and applicant it invited through a campaign: `<company>:<candidate>`.
INVITATIONS = "campaign_invitations"
HIDDEN = {OUTBOX: 0, PENDING: 0, CARRIED_BY: 0}
# Set on a job while its input chunks are stored, unset once they are dropped.
INPUT_KEPT = "input_kept"


def _campaign(document: dict[str, Any]) -> Campaign:
    return Campaign.model_validate({**document, "campaign_id": document["_id"]})


def _campaign_document(campaign: Campaign) -> dict[str, Any]:
    recorded = campaign.recorded()
    return {"_id": recorded.pop("campaign_id"), **recorded}


def _applicant_document(campaign: Campaign, applicant: ImportedApplicant, now: datetime,
                        event: Envelope | None) -> dict[str, Any]:
    """An applicant as stored (field by field: this runs once per imported row)."""
    row = applicant.row
    document = {
        "_id": f"{campaign.campaign_id}:{row.row}", "campaign_id": campaign.campaign_id,
        "company_id": campaign.company_id, "row": row.row, "candidate_id": applicant.candidate_id,
        "linked": applicant.linked, "name": row.name, "email": row.email, "phone": row.phone, "free": row.free,
        "name_kana": row.name_kana, "school": row.school, "faculty": row.faculty,
        "graduation_year": row.graduation_year, "share_token": applicant.share_token,
        "share_url": applicant.share_url, "status": "invited" if applicant.invited_by is None else "already_invited",
    }
    if applicant.invited_by is not None:
        document["invited_by"] = applicant.invited_by
    document.update(responded_at=None, imported_at=now)
    return new_document(document, event) if event is not None else new_document(document)


class CampaignRepository(Protocol):
    """What the handlers need of the import jobs (campaigns), their stored input and their applicants."""

    async def add(self, campaign: Campaign, *events: Envelope) -> None: ...
    async def get(self, campaign_id: str) -> Campaign | None: ...
    async def progress(self, campaign_id: str, *, rows_done: int, rows_imported: int, now: datetime) -> None: ...
    async def runner(self, campaign_id: str) -> str | None: ...
    async def complete(self, campaign: Campaign, runner: str, *events: Envelope) -> bool: ...
    async def fail(self, campaign_id: str, runner: str, *, reason: str, now: datetime) -> bool: ...
    async def add_chunks(self, campaign_id: str, chunks: list[list[ApplicantRow]]) -> None: ...
    async def chunk(self, campaign_id: str, n: int) -> StoredChunk | None: ...
    async def chunk_done(self, campaign_id: str, n: int) -> None: ...
    async def drop_input(self, campaign_id: str, count: int) -> None: ...
    async def input_left(self) -> dict[str, int]: ...
    async def stalled(self, cutoff: datetime) -> list[Campaign]: ...
    async def claim(self, stalled: Campaign, *, runner: str, now: datetime) -> bool: ...
    async def add_applicants(self, campaign: Campaign, applicants: list[tuple[ImportedApplicant, Envelope | None]],
                             now: datetime) -> None: ...
    async def invite(self, company_id: str, campaign_id: str, rows: dict[str, int]) -> dict[str, Invitation]: ...
    async def applicants(self, campaign_id: str) -> list[dict[str, Any]]: ...
    async def respond(self, now: datetime, make_event: Callable[[dict[str, Any]], Envelope], *,
                      share_token: str | None = None, campaign_id: str | None = None,
                      candidate_id: str | None = None) -> dict[str, Any] | None: ...
    async def erase_candidate(self, candidate_id: str) -> None: ...


class MongoCampaigns:
    def __init__(self, db: AsyncDatabase) -> None:
        self._campaigns = outbox_collection(db, CAMPAIGNS)
        self._applicants = outbox_collection(db, APPLICANTS)
        self._chunks = db[CHUNKS]
        self._invitations = db[INVITATIONS]

    async def ensure_indexes(self) -> None:
        await self._applicants.create_index([("campaign_id", 1), ("row", 1)])
        await self._applicants.create_index("share_token", unique=True)
        await self._applicants.create_index("candidate_id")

    async def add(self, campaign: Campaign, *events: Envelope) -> None:
        await self._campaigns.insert_one(new_document(_campaign_document(campaign), *events))

    async def get(self, campaign_id: str) -> Campaign | None:
        document = await self._campaigns.find_one({"_id": campaign_id}, HIDDEN)
        return _campaign(document) if document else None

    async def progress(self, campaign_id: str, *, rows_done: int, rows_imported: int, now: datetime) -> None:
        """Record how far the job got, with its runner's heartbeat, by `_id` alone (the index FerretDB uses)."""
        await self._campaigns.update_one({"_id": campaign_id}, {"$set": {
            "rows_done": rows_done, "rows_imported": rows_imported, "heartbeat_at": now}})

    async def runner(self, campaign_id: str) -> str | None:
        """The process that owns a job now."""
        document = await self._campaigns.find_one({"_id": campaign_id}, {"runner": 1})
        return document.get("runner") if document else None

    async def complete(self, campaign: Campaign, runner: str, *events: Envelope) -> bool:
        """Record a job as completed with its final counts (and events), if `runner` still owns it."""
        return await self._conclude(campaign.campaign_id, runner, {
            "status": "completed", "rows_done": campaign.rows_done, "rows_imported": campaign.rows_imported,
            "finished_at": campaign.finished_at}, *events)

    async def fail(self, campaign_id: str, runner: str, *, reason: str, now: datetime) -> bool:
        """Record a job as failed with the reason the recruiter reads, if `runner` still owns it."""
        return await self._conclude(campaign_id, runner, {"status": "failed", "failure": reason, "finished_at": now})

    async def _conclude(self, campaign_id: str, runner: str, fields: dict[str, Any], *events: Envelope) -> bool:
        """End a running job (with its events) if `runner` still owns it: only one process ever
        concludes a job. Once per job, so the conditional filter (a scan on FerretDB) is affordable."""
        update = with_events({"$set": fields}, *events) if events else {"$set": fields}
        result = await self._campaigns.update_one({"_id": campaign_id, "runner": runner, "status": "running"},
                                                  update)
        return result.matched_count == 1

    # -- the durable input of an import job -----------------------------------
    async def add_chunks(self, campaign_id: str, chunks: list[list[ApplicantRow]]) -> None:
        """The rows to import, stored before the upload is answered (so any process can finish the job)."""
        documents = [{"_id": chunk_id(campaign_id, n), "campaign_id": campaign_id, "n": n,
                      "rows": packed({"rows": [row_document(row) for row in rows]}), "size": len(rows), "done": False}
                     for n, rows in enumerate(chunks)]
        for start in range(0, len(documents), 8):  # a few chunks per command keeps each message small
            await self._chunks.insert_many(documents[start:start + 8])

    async def chunk(self, campaign_id: str, n: int) -> StoredChunk | None:
        """A chunk, with its rows (stored packed: read and written whole, and the `done` mark
        rewrites the document, which FerretDB does at a cost per field)."""
        chunk = await self._chunks.find_one({"_id": chunk_id(campaign_id, n)})
        if chunk is None:
            return None
        rows = chunk["rows"]
        if isinstance(rows, bytes):  # (chunks stored before packing: a list)
            rows = unpacked(rows)["rows"]
        return StoredChunk(rows=[row_from_document(row) for row in rows], done=chunk["done"])

    async def chunk_done(self, campaign_id: str, n: int) -> None:
        await self._chunks.update_one({"_id": chunk_id(campaign_id, n)}, {"$set": {"done": True}})

    async def drop_input(self, campaign_id: str, count: int) -> None:
        """The input of a concluded job (it holds applicants' personal data: keep it no longer)."""
        for n in range(count):
            await self._chunks.delete_one({"_id": chunk_id(campaign_id, n)})
        await self._campaigns.update_one({"_id": campaign_id}, {"$unset": {INPUT_KEPT: ""}})

    async def input_left(self) -> dict[str, int]:
        """Concluded jobs whose input is still stored (their process died before dropping it), and
        how many chunks each had."""
        query = {INPUT_KEPT: True, "status": {"$ne": "running"}}
        return {document["_id"]: document.get("chunks_total") or 0
                async for document in self._campaigns.find(query, {"chunks_total": 1})}

    async def stalled(self, cutoff: datetime) -> list[Campaign]:
        """Running jobs whose runner has not written since `cutoff` (or never recorded a heartbeat)."""
        query = {"status": "running",
                 "$or": [{"heartbeat_at": {"$lt": cutoff}}, {"heartbeat_at": {"$exists": False}}]}
        return [_campaign(document) async for document in self._campaigns.find(query, HIDDEN)]

    async def claim(self, stalled: Campaign, *, runner: str, now: datetime) -> bool:
        """Take a stalled job over (counting the resume), unless another process took it (or its
        runner wrote) first."""
        result = await self._campaigns.update_one(
            {"_id": stalled.campaign_id, "runner": stalled.runner, "heartbeat_at": stalled.heartbeat_at},
            {"$set": {"runner": runner, "heartbeat_at": now}, "$inc": {"resumes": 1}},
        )
        return result.matched_count == 1

    async def add_applicants(self, campaign: Campaign, applicants: list[tuple[ImportedApplicant, Envelope | None]],
                             now: datetime) -> None:
        """One chunk of applicants, each with its CampaignApplicantImported (none for one invited
        before); the events travel together in the insert's outbox marker, so the relay publishes a
        chunk without reading or acknowledging its applicants one by one."""
        documents = [_applicant_document(campaign, applicant, now, event) for applicant, event in applicants]
        try:
            await self._applicants.insert_carried(documents, ordered=False)
        except BulkWriteError as exc:
            ignore_duplicates(exc)

    async def invite(self, company_id: str, campaign_id: str, rows: dict[str, int]) -> dict[str, Invitation]:
        """Record that this campaign invites these applicants (candidate id -> row), once per company and
        applicant. Returns, for those another campaign or row invited first, that earlier invitation.
        A replayed chunk finds its own invitations and is not refused."""
        if not rows:
            return {}
        documents = [{"_id": f"{company_id}:{candidate}", "campaign_id": campaign_id, "row": row}
                     for candidate, row in rows.items()]
        try:
            await self._invitations.insert_many(documents, ordered=False)
            return {}
        except BulkWriteError as exc:
            ignore_duplicates(exc)
            refused = [documents[e["index"]]["_id"] for e in exc.details.get("writeErrors", [])]
        earlier = {d["_id"]: d async for d in self._invitations.find({"_id": {"$in": refused}})}
        firsts = {f"{d['campaign_id']}:{d['row']}": key.split(":", 1)[1] for key, d in earlier.items()
                  if (d["campaign_id"], d["row"]) != (campaign_id, rows[key.split(":", 1)[1]])}
        if not firsts:
            return {}
        invited = {candidate: Invitation(campaign_id=first.rsplit(":", 1)[0]) for first, candidate in firsts.items()}
        # (an earlier applicant not stored yet: the first import is still running, her share URL is not known)
        async for document in self._applicants.find({"_id": {"$in": list(firsts)}}, {"campaign_id": 1,
                                                                                      "share_url": 1}):
            invited[firsts[document["_id"]]] = Invitation(document["campaign_id"], document.get("share_url") or "")
        return invited

    async def applicants(self, campaign_id: str) -> list[dict[str, Any]]:
        return await self._applicants.find({"campaign_id": campaign_id}, HIDDEN).sort("row", 1).to_list()

    async def respond(self, now: datetime, make_event: Callable[[dict[str, Any]], Envelope], *,
                      share_token: str | None = None, campaign_id: str | None = None,
                      candidate_id: str | None = None) -> dict[str, Any] | None:
        """Mark the applicant (named by her share token, or by campaign and candidate) as responded,
        first answer only, with CampaignApplicantResponded."""
        query = {"share_token": share_token} if share_token else {"campaign_id": campaign_id,
                                                                   "candidate_id": candidate_id}
        applicant = await self._applicants.find_one(query, HIDDEN)
        if applicant is None:
            return None
        if applicant.get("responded_at") is None:
            updated = await self._applicants.find_one_and_update(
                {"_id": applicant["_id"], "responded_at": None},
                with_events({"$set": {"status": "responded", "responded_at": now}}, make_event(applicant)),
                return_document=ReturnDocument.AFTER,
            )
            return updated or await self._applicants.find_one({"_id": applicant["_id"]}, HIDDEN)
        return applicant

    async def erase_candidate(self, candidate_id: str) -> None:
        await self._applicants.update_many(
            {"candidate_id": candidate_id},
            {"$set": {"name": "", "email": None, "phone": None, "name_kana": None, "school": None, "faculty": None,
                      "graduation_year": None, "status": "erased"}},
        )
