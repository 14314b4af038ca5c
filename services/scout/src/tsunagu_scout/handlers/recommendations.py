"""Daily recommended companies and "please scout me" (ScoutRequested), seen by companies as signals."""

from dataclasses import dataclass

from tsunagu_scout.adapters.candidates import AlreadyRequested, CandidateRepository
from tsunagu_scout.adapters.companies import CompanyRepository
from tsunagu_scout.adapters.scouts import ScoutRepository
from tsunagu_scout.config import ScoutSettings
from tsunagu_scout.domain import recommend, rules
from tsunagu_scout.handlers.errors import Conflict, NotFound
from tsunagu_shared.clock import Clock
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ScoutRequested

SOURCE = "tsunagu/scout"


@dataclass
class RecommendationHandlers:
    candidates: CandidateRepository
    companies: CompanyRepository
    scouts: ScoutRepository
    settings: ScoutSettings
    clock: Clock

    async def today(self, candidate_id: str) -> list[dict]:
        """Her short list for today (Japan date), computed on first ask and then kept for the day."""
        day = rules.day_key(self.clock.now())
        kept = await self.candidates.recommendations(candidate_id, day)
        if kept is not None:
            return kept
        candidate = await self.candidates.get(candidate_id)
        if candidate is None or candidate.deleted:
            raise NotFound("no profile known yet; recommendations start after your profile exists")
        blocked = await self.scouts.blocked_companies(candidate_id)
        ranked = recommend.recommend(candidate, await self.companies.active(), day=day,
                                     limit=self.settings.recommendations_per_day, excluded=blocked)
        listed = [
            {"company_id": c.company_id, "name": c.name, "industries": c.industries, "location": c.location,
             "fit": score}
            for c, score in ranked
        ]
        return await self.candidates.keep_recommendations(candidate_id, day, listed)

    async def request_scout(self, candidate_id: str, company_id: str) -> dict:
        """"Please scout me" to a company on today's list, at most once per company per period."""
        if company_id not in {c["company_id"] for c in await self.today(candidate_id)}:
            raise NotFound(f"company {company_id} is not on your recommendations today")
        now = self.clock.now()
        period = rules.request_period(now, self.settings.scout_request_period_days)
        candidate = await self.candidates.get(candidate_id)
        request_id = f"{candidate_id}:{company_id}:{period}"
        request = {"_id": request_id, "request_id": request_id, "candidate_id": candidate_id,
                   "company_id": company_id, "display_name": candidate.display_name if candidate else "",
                   "requested_at": now}
        event = ScoutRequested(request_id=request_id, candidate_id=candidate_id, company_id=company_id,
                               requested_at=now)
        try:
            await self.candidates.add_request(request, Envelope.wrap(event, source=SOURCE))
        except AlreadyRequested:
            raise Conflict("you already asked this company to scout you in this period") from None
        return request

    async def signals(self, company_id: str) -> list[dict]:
        """The company's inbox of "please scout me" signals, newest first."""
        return await self.candidates.requests_for(company_id)
