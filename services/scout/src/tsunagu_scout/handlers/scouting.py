"""Sending scouts (quota, awaiting slots, relation guards) and their life until an answer or expiry."""

from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

import structlog
from tsunagu_scout.adapters import units
from tsunagu_scout.adapters.candidates import CandidateRepository
from tsunagu_scout.adapters.companies import CompanyRepository
from tsunagu_scout.adapters.scouts import ScoutRepository
from tsunagu_scout.adapters.units import UnitRepository
from tsunagu_scout.config import ScoutSettings
from tsunagu_scout.domain import rules, why_you
from tsunagu_scout.domain.model import Candidate, Company, Recruiter, Scout, ScoutState, Tier
from tsunagu_scout.handlers.errors import Conflict, Invalid, NotFound
from tsunagu_scout.projection import ScoutProjection
from tsunagu_shared.clock import Clock
from tsunagu_shared.due import DueBuckets
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import CompanyBlocked, ScoutDeclined, ScoutExpired, ScoutSent, ScoutViewed

log = structlog.get_logger(__name__)
SOURCE = "tsunagu/scout"


def her_profile(candidate: Candidate) -> why_you.HerProfile:
    return why_you.HerProfile(
        school=candidate.school, faculty=candidate.faculty, self_pr=candidate.self_pr,
        industries=tuple(candidate.industries), job_types=tuple(candidate.job_types),
        languages=tuple(candidate.languages), events_attended=tuple(candidate.events_attended))


@dataclass
class ScoutingHandlers:
    scouts: ScoutRepository
    units: UnitRepository
    companies: CompanyRepository
    candidates: CandidateRepository
    settings: ScoutSettings
    clock: Clock
    projection: ScoutProjection
    # scouts listed by the minute they expire, and scouts closed whose slot is to be freed
    expiry: DueBuckets
    settling: DueBuckets

    async def send(self, company: Company, recruiter: Recruiter, *, candidate_id: str, reason: str,
                   tier: Tier, template_id: str | None, what_in_her_profile: str | None = None) -> Scout:
        """Send one scout: check the reason and the student (the reason must refer to something of hers),
        then take the pair, a slot and a quota unit."""
        template = await self.companies.template(company.company_id, template_id) if template_id else None
        if template_id and template is None:
            raise Invalid(f"template_id: no template {template_id} in your company")
        try:
            reason = rules.check_reason(reason, template_body=template.body if template else None,
                                        min_chars=self.settings.min_reason_chars)
        except ValueError as exc:
            raise Invalid(f"reason: {exc}") from None
        candidate = await self.candidates.get(candidate_id)
        if candidate is None or candidate.deleted:
            raise NotFound(f"no student {candidate_id}")
        answer = what_in_her_profile.strip() if what_in_her_profile and what_in_her_profile.strip() else None
        try:
            why_you.check_why_you(reason, her_profile(candidate), what_in_her_profile=answer)
        except why_you.NotWhyYou as exc:
            raise Invalid(str(exc)) from None
        now = self.clock.now()
        scout = Scout(
            scout_id=f"sc_{uuid4().hex}", company_id=company.company_id, company_name=company.name,
            recruiter_id=recruiter.recruiter_id, recruiter_name=recruiter.display_name, candidate_id=candidate_id,
            reason=reason, what_in_her_profile=answer, tier=tier, template_id=template_id,
            month=rules.month_key(now), sent_at=now,
            expires_at=rules.expiry(now, self.settings.scout_ttl_days),
        )
        await self._reserve(company, scout, now)
        try:
            await self.expiry.add(scout.scout_id, scout.expires_at)
            await self.scouts.add(scout, Envelope.wrap(self._sent_event(scout), source=SOURCE))
        except BaseException:
            await self._give_back(scout, quota=True)
            raise
        await self.projection.project_quietly([scout.scout_id], refresh="wait_for")  # in her "sent" at once
        return scout

    async def _reserve(self, company: Company, scout: Scout, now: datetime) -> None:
        """Take the pair, an awaiting slot and a quota unit, each atomically; give back on any refusal."""
        pair = units.pair_pool(company.company_id, scout.candidate_id)
        if not await self._take_pair(pair, scout.scout_id):
            raise Conflict(rules.AWAITING)
        refused = rules.refusal(await self.scouts.relation(company.company_id, scout.candidate_id), now)
        if refused:
            await self.units.give_back(pair, scout.scout_id)
            raise Conflict(refused)
        if not await self.units.take(units.slot_pool(company.company_id), company.plan.max_awaiting, scout.scout_id):
            await self.units.give_back(pair, scout.scout_id)
            raise Conflict(f"{company.plan.max_awaiting} scouts already await an answer; "
                           "wait for answers, declines or expiries")
        limit = company.plan.quota_for(scout.tier)
        if not await self.units.take(units.quota_pool(company.company_id, scout.month, scout.tier), limit,
                                     scout.scout_id):
            await self._give_back(scout, quota=False)
            raise Conflict(f"the monthly {scout.tier} scout quota ({limit}) is spent")

    async def _take_pair(self, pair: str, scout_id: str) -> bool:
        """The pair's unit. A closed scout still holding it (its settling not finished yet, or cut
        short by a crash) is settled first: its cooldown then refuses or allows this scout."""
        for _ in range(3):
            if await self.units.take(pair, 1, scout_id):
                return True
            held = [await self.scouts.get(holder) for holder in await self.units.holders(pair, 1)]
            if any(s is None or s.state == "awaiting" for s in held):
                return False  # awaiting her answer, or being sent right now
            for closed in held:  # (none: freed since our try)
                await self.settle(closed)
        return False

    async def _give_back(self, scout: Scout, *, quota: bool) -> None:
        if quota:
            await self.units.give_back(units.quota_pool(scout.company_id, scout.month, scout.tier), scout.scout_id)
        await self._free(scout)

    async def _free(self, scout: Scout) -> None:
        """Free the awaiting slot and the pair (idempotent: deletes by holder)."""
        await self.units.give_back(units.slot_pool(scout.company_id), scout.scout_id)
        await self.units.give_back(units.pair_pool(scout.company_id, scout.candidate_id), scout.scout_id)

    async def usage(self, company: Company) -> dict:
        """This month's quota use per tier and the scouts awaiting an answer."""
        month = rules.month_key(self.clock.now())
        plan = company.plan
        used = {t: await self.units.held(units.quota_pool(company.company_id, month, t), plan.quota_for(t))
                for t in ("regular", "premium")}
        awaiting = await self.units.held(units.slot_pool(company.company_id), plan.max_awaiting)
        return {"month": month, "quota_used": used, "awaiting": awaiting}

    def _sent_event(self, scout: Scout) -> ScoutSent:
        return ScoutSent(
            scout_id=scout.scout_id, company_id=scout.company_id, company_name=scout.company_name,
            recruiter_id=scout.recruiter_id, recruiter_name=scout.recruiter_name, candidate_id=scout.candidate_id,
            reason=scout.reason, tier=scout.tier, template_id=scout.template_id, sent_at=scout.sent_at,
            expires_at=scout.expires_at,
        )

    async def sent(self, company_id: str, *, state: ScoutState | None, cursor: str | None, limit: int
                   ) -> tuple[list[Scout], str | None]:
        """A page of the company's scouts, newest first, from the scouts index."""
        return await self.projection.lists.sent(company_id, state=state, cursor=cursor, limit=limit)

    # -- the student's side -------------------------------------------------
    async def received(self, candidate_id: str, *, cursor: str | None = None, limit: int = 200
                       ) -> tuple[list[Scout], str | None]:
        """A page of her scouts, premium first, newest first within a tier, from the scouts index."""
        return await self.projection.lists.received(candidate_id, cursor=cursor, limit=limit)

    async def _hers(self, scout_id: str, candidate_id: str) -> Scout:
        scout = await self.scouts.get(scout_id)
        if scout is None or scout.candidate_id != candidate_id:
            raise NotFound(f"no scout {scout_id}")  # another student's scout is not revealed
        return scout

    async def view(self, scout_id: str, candidate_id: str) -> Scout:
        """Mark viewed; only the first view publishes ScoutViewed."""
        scout = await self._hers(scout_id, candidate_id)
        now = self.clock.now()
        event = ScoutViewed(scout_id=scout_id, company_id=scout.company_id, candidate_id=candidate_id, viewed_at=now)
        if await self.scouts.mark_viewed(scout_id, candidate_id, now, Envelope.wrap(event, source=SOURCE)):
            await self.projection.project_quietly([scout_id], refresh="wait_for")
        return await self._hers(scout_id, candidate_id)

    async def decline(self, scout_id: str, candidate_id: str, reason: str | None) -> Scout:
        """Decline an awaiting scout: its slot frees and the company's cooldown starts (ScoutDeclined)."""
        scout = await self._hers(scout_id, candidate_id)
        now = self.clock.now()
        event = ScoutDeclined(scout_id=scout_id, company_id=scout.company_id, candidate_id=candidate_id,
                              reason=reason, declined_at=now)
        closed = await self._close(scout_id, {"state": "declined", "closed_at": now, "decline_reason": reason},
                                   Envelope.wrap(event, source=SOURCE))
        if closed is None:
            raise Conflict(f"scout is {scout.state}, not awaiting an answer")
        await self.settle(closed)
        await self.projection.project_quietly([scout_id], refresh="wait_for")
        return await self.scouts.get(scout_id) or closed

    async def block(self, candidate_id: str, company_id: str) -> None:
        """Block a company: no more scouts from it; an awaiting scout from it is withdrawn (CompanyBlocked)."""
        if await self.companies.get(company_id) is None:
            raise NotFound(f"no company {company_id}")
        now = self.clock.now()
        event = CompanyBlocked(candidate_id=candidate_id, company_id=company_id, blocked_at=now)
        await self.scouts.set_relation(company_id, candidate_id, {"blocked": True}, Envelope.wrap(event, source=SOURCE))
        withdrawn = await self._awaiting_between(company_id, candidate_id)
        for scout_id in withdrawn:
            await self.close_quietly(scout_id, "withdrawn")
        await self.projection.project_quietly(withdrawn, refresh="wait_for")

    async def unblock(self, candidate_id: str, company_id: str) -> None:
        await self.scouts.set_relation(company_id, candidate_id, {"blocked": False})

    # -- closing: answers, expiry, erasure ------------------------------------
    async def _close(self, scout_id: str, fields: dict, *events: Envelope) -> Scout | None:
        """Close an awaiting scout once: the closing unit decides between a decline, a reply and an expiry."""
        scout = await self.scouts.get(scout_id)
        if scout is None or scout.state != "awaiting":
            return None
        if not await self.units.take(units.closing_pool(scout_id), 1, fields["state"]):
            return None
        await self.settling.add(scout_id, self.clock.now())  # freed by settle(), or by the sweep after a crash
        return await self.scouts.close(scout_id, fields, *events)

    async def close_quietly(self, scout_id: str, state: str, *events: Envelope) -> None:
        closed = await self._close(scout_id, {"state": state, "closed_at": self.clock.now()}, *events)
        scout = closed or await self.scouts.get(scout_id)
        if scout is not None:
            await self.settle(scout)

    async def settle(self, scout: Scout) -> None:
        """After a scout closed: cooldown or open thread on the relation, then free its slot and pair."""
        if scout.state == "awaiting":
            return
        fields: dict = {}
        cooldown = rules.cooldown_after(scout.state, self.clock.now(), decline_days=self.settings.decline_cooldown_days,
                                        no_reply_days=self.settings.no_reply_cooldown_days)
        if cooldown:
            fields["cooldown_until"] = cooldown
        if scout.state == "replied":
            fields["thread_open"] = True
        if fields:
            await self.scouts.set_relation(scout.company_id, scout.candidate_id, fields)
        await self._free(scout)
        await self.scouts.mark_settled(scout.scout_id)

    async def expire_due(self) -> int:
        """Expire the awaiting scouts past their time (ScoutExpired), found in the expiry buckets,
        then free the slots a crash left held; the number expired."""
        now = self.clock.now()
        expired: list[str] = []

        async def expire(ids: list[str]) -> list[str]:
            finished = []
            for scout_id in ids:
                scout = await self.scouts.get(scout_id)
                if scout is not None and scout.state == "awaiting":
                    if scout.expires_at > now:
                        continue  # later in this minute: it stays in its bucket
                    event = ScoutExpired(scout_id=scout_id, company_id=scout.company_id,
                                         candidate_id=scout.candidate_id, expired_at=now)
                    await self.close_quietly(scout_id, "expired", Envelope.wrap(event, source=SOURCE))
                    expired.append(scout_id)
                finished.append(scout_id)  # expired now, answered before, or never written
            return finished

        await self.expiry.sweep(now, expire)
        await self.settling.sweep(now, self._settle_left)
        await self.projection.project_quietly(expired)  # ScoutExpired brings them to the projector too
        return len(expired)

    async def _settle_left(self, ids: list[str]) -> list[str]:
        """Closed scouts whose slot a crash left held (settle() did not finish): free them now."""
        freed = []
        for scout_id in ids:
            scout = await self.scouts.get(scout_id)
            if scout is not None and scout.state != "awaiting" and not scout.slot_released:
                await self.settle(scout)
                freed.append(scout_id)
        await self.projection.project_quietly(freed)
        return ids

    async def replied(self, *, company_id: str, candidate_id: str, scout_id: str | None) -> None:
        """Her first reply opens the thread: the scout is answered and its slot frees."""
        ids = [scout_id] if scout_id else await self._awaiting_between(company_id, candidate_id)
        for awaiting_id in ids:
            await self.close_quietly(awaiting_id, "replied")
        await self.scouts.set_relation(company_id, candidate_id, {"thread_open": True})
        await self.projection.project(ids)  # a consumer's handler: retried until the index has it

    async def _awaiting_between(self, company_id: str, candidate_id: str) -> list[str]:
        """The scout awaiting her answer from this company, if any: it holds the pair's unit."""
        held_by = await self.units.holders(units.pair_pool(company_id, candidate_id), 1)
        scouts = [await self.scouts.get(scout_id) for scout_id in held_by]
        return [s.scout_id for s in scouts if s is not None and s.state == "awaiting"]

    async def forget(self, candidate_id: str) -> None:
        """ProfileDeleted: withdraw what awaits her and erase the reasons written for her."""
        for scout in await self.scouts.awaiting_for(candidate_id):
            await self.close_quietly(scout.scout_id, "withdrawn")
        await self.scouts.erase_reasons(candidate_id)
        await self.scouts.forget_candidate(candidate_id)
        await self.projection.of_candidate(candidate_id)  # a consumer's handler: retried until written
