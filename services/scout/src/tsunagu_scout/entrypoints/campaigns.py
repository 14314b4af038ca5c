"""ATS CSV campaign endpoints: upload (a job with progress), status, export, and the applicant's answer."""

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from tsunagu_shared.auth import CandidateUser
from tsunagu_shared.files import attachment_disposition
from tsunagu_shared.moments import Moment
from tsunagu_shared.request_bodies import body_limit

from tsunagu_scout.entrypoints.deps import ActiveRecruiter, ContainerDep
from tsunagu_scout.handlers.errors import Invalid

router = APIRouter(tags=["campaigns"])


@router.post("/campaigns", status_code=status.HTTP_202_ACCEPTED, openapi_extra=body_limit("campaign_max_bytes"))
async def upload_campaign(
    recruiter: ActiveRecruiter,
    container: ContainerDep,
    file: Annotated[UploadFile, File(description="Applicant CSV exported from your ATS (UTF-8 or Shift_JIS)")],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    mapping: Annotated[str | None, Form(description='JSON {"CSV header": "name|email|phone|candidate_id"}')] = None,
    encoding: Annotated[Literal["auto", "utf-8", "shift_jis"], Form()] = "auto",
    mode: Annotated[Literal["all_or_nothing", "partial"], Form()] = "all_or_nothing",
    template_id: Annotated[str | None, Form()] = None,
    deadline: Annotated[Moment | None, Form(description="Respond-by time; reminders go out before it")] = None,
) -> dict:
    """Start importing an applicant CSV. 422 when the file as a whole is unreadable (encoding, header,
    mapping). Rows are then checked one by one: all_or_nothing imports nothing if any row is bad (the
    answer is then already `rejected`, with the per-row report); partial imports the good rows. The
    rows are stored before the answer, so the job finishes even if the service restarts meanwhile.
    Poll GET /campaigns/{id} for progress and the per-row error report."""
    company, me = recruiter
    if template_id:
        await container.companies.check_template(company, template_id)
    return await container.campaigns.start_import(
        company, me, raw=await file.read(), name=name, mapping_json=mapping, encoding=encoding, mode=mode,
        template_id=template_id, deadline=deadline,
    )


@router.get("/campaigns/{campaign_id}")
async def read_campaign(campaign_id: str, recruiter: ActiveRecruiter, container: ContainerDep) -> dict:
    """The import job: status (running, completed, rejected, failed), rows done / total, per-row errors."""
    company, _ = recruiter
    return await container.campaigns.get(company.company_id, campaign_id)


@router.get("/campaigns/{campaign_id}/export")
async def export_campaign(
    campaign_id: str, recruiter: ActiveRecruiter, container: ContainerDep,
    encoding: Annotated[Literal["utf-8", "shift_jis"], Query()] = "utf-8",
) -> Response:
    """CSV for your ATS: your original columns (free columns verbatim), candidate id, status, share URL."""
    company, _ = recruiter
    text, filename = await container.campaigns.export(company.company_id, campaign_id)
    try:
        body = text.encode("utf-8-sig" if encoding == "utf-8" else "cp932")
    except UnicodeEncodeError as exc:
        raise Invalid(f"encoding: a value cannot be written in Shift_JIS ({exc.object[exc.start:exc.end]!r}); "
                      "export as utf-8") from None
    return Response(body, media_type=f"text/csv; charset={encoding}",
                    headers={"Content-Disposition": attachment_disposition(filename)})


@router.post("/campaign-responses/{share_token}")
async def respond_by_share_url(share_token: str, container: ContainerDep) -> dict:
    """The applicant answers through her share URL: the unguessable token is the credential
    (no account needed). Publishes CampaignApplicantResponded once; reminders to her stop."""
    return await container.campaigns.respond(share_token=share_token)


@router.post("/campaigns/{campaign_id}/response")
async def respond_signed_in(campaign_id: str, user: CandidateUser, container: ContainerDep) -> dict:
    """A signed-in student answers a campaign she was imported into (404 if she was not)."""
    return await container.campaigns.respond(campaign_id=campaign_id, candidate_id=user.subject)
