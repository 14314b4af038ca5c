"""The scouting handlers on in-memory adapters of their Protocol ports (scouts and relations, unit pools,
companies, candidates, due buckets, the projection): the monthly quota, the awaiting slots, one scout
awaiting per student, declines and expiries with their cooldowns — without a database. The fakes keep the
real adapters' guarantees the handlers rely on: a pool never has more than `limit` units held (two
requests cannot take the last one), a first view is recorded once. Each fake method yields to the event
loop like a round trip would, so requests started together interleave. The same paths run on the real
stack in tests/integration."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tsunagu_scout.config import ScoutSettings
from tsunagu_scout.domain.model import Candidate, Company, Plan, Recruiter, Relation, Scout
from tsunagu_scout.handlers.errors import Conflict, NotFound
from tsunagu_scout.handlers.scouting import ScoutingHandlers
from tsunagu_shared.clock import SettableClock
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.testing import InMemoryDueBuckets

NOW = datetime(2026, 5, 10, 1, 0, tzinfo=UTC)
SATO = Recruiter(recruiter_id="rec-1", display_name="Sato")
REASON = "Your farming robots project is exactly what our field team builds."


async def round_trip() -> None:
    await asyncio.sleep(0)


class InMemoryUnits:
    """`UnitRepository`: numbered units per pool; `take` holds a free number below `limit` or answers False."""

    def __init__(self) -> None:
        self.pools: dict[str, dict[int, str]] = {}

    async def take(self, pool: str, limit: int, holder: str) -> bool:
        await round_trip()
        units = self.pools.setdefault(pool, {})
        free = [n for n in range(limit) if n not in units]
        await round_trip()  # (the real one reads, then inserts)
        free = [n for n in free if n not in units]
        if not free:
            return False
        units[free[0]] = holder
        return True

    async def give_back(self, pool: str, holder: str) -> None:
        await round_trip()
        units = self.pools.get(pool, {})
        for n in [n for n, h in units.items() if h == holder]:
            del units[n]

    async def held(self, pool: str, limit: int) -> int:
        await round_trip()
        return len([n for n in self.pools.get(pool, {}) if n < limit])

    async def holders(self, pool: str, limit: int) -> list[str]:
        await round_trip()
        return [h for n, h in self.pools.get(pool, {}).items() if n < limit]


class InMemoryScouts:
    """`ScoutRepository`: scouts and the company-student relations; a first view is recorded once."""

    def __init__(self) -> None:
        self.stored: dict[str, Scout] = {}
        self.relations: dict[tuple[str, str], Relation] = {}
        self.published: list[Envelope] = []

    async def relation(self, company_id: str, candidate_id: str) -> Relation | None:
        await round_trip()
        return self.relations.get((company_id, candidate_id))

    async def set_relation(self, company_id: str, candidate_id: str, fields: dict[str, Any],
                           *events: Envelope) -> None:
        await round_trip()
        current = self.relations.get((company_id, candidate_id)) or Relation(company_id=company_id,
                                                                             candidate_id=candidate_id)
        self.relations[(company_id, candidate_id)] = current.model_copy(update=fields)
        self.published.extend(events)

    async def blocked_companies(self, candidate_id: str) -> set[str]:
        return {c for (c, s), r in self.relations.items() if s == candidate_id and r.blocked}

    async def forget_candidate(self, candidate_id: str) -> None:
        self.relations = {k: r for k, r in self.relations.items() if k[1] != candidate_id}

    async def add(self, scout: Scout, *events: Envelope) -> None:
        await round_trip()
        self.stored[scout.scout_id] = scout
        self.published.extend(events)

    async def get(self, scout_id: str) -> Scout | None:
        await round_trip()
        return self.stored.get(scout_id)

    async def mark_viewed(self, scout_id: str, candidate_id: str, now: datetime, *events: Envelope) -> bool:
        await round_trip()
        scout = self.stored.get(scout_id)
        if scout is None or scout.candidate_id != candidate_id or scout.viewed_at is not None:
            return False
        self.stored[scout_id] = scout.model_copy(update={"viewed_at": now})
        self.published.extend(events)
        return True

    async def close(self, scout_id: str, fields: dict[str, Any], *events: Envelope) -> Scout | None:
        await round_trip()
        if scout_id not in self.stored:
            return None
        self.stored[scout_id] = self.stored[scout_id].model_copy(update=fields)
        self.published.extend(events)
        return self.stored[scout_id]

    async def mark_settled(self, scout_id: str) -> None:
        await round_trip()
        self.stored[scout_id] = self.stored[scout_id].model_copy(update={"slot_released": True})

    async def awaiting_for(self, candidate_id: str) -> list[Scout]:
        await round_trip()
        return [s for s in self.stored.values() if s.candidate_id == candidate_id and s.state == "awaiting"]

    async def awaiting_between(self, company_id: str, candidate_id: str) -> list[Scout]:
        return [s for s in await self.awaiting_for(candidate_id) if s.company_id == company_id]

    async def erase_reasons(self, candidate_id: str) -> None:
        for scout in [s for s in self.stored.values() if s.candidate_id == candidate_id]:
            self.stored[scout.scout_id] = scout.model_copy(update={"reason": "", "decline_reason": None})


class Directory:
    """`CompanyRepository` and `CandidateRepository`, only the lookups these paths make."""

    def __init__(self, *companies: Company, candidates: list[Candidate]) -> None:
        self.companies = {c.company_id: c for c in companies}
        self.candidates = {c.candidate_id: c for c in candidates}

    async def get(self, key: str) -> Any:
        await round_trip()
        return self.companies.get(key) or self.candidates.get(key)

    async def template(self, company_id: str, template_id: str) -> None:
        return None


class NoIndex:
    """The projection: only told which scouts changed (the scouts index is not under test here)."""

    async def project_quietly(self, ids: Any, *, refresh: str | None = None) -> None:
        pass

    async def project(self, ids: Any, *, refresh: str | None = None) -> None:
        pass

    async def of_candidate(self, candidate_id: str) -> None:
        pass


def a_company(*, quota: int = 5, max_awaiting: int = 5) -> Company:
    return Company(company_id="comp-a", name="Acme", status="active",
                   plan=Plan(name="basic", monthly_quota={"regular": quota}, max_awaiting=max_awaiting),
                   recruiters={"rec-1": SATO}, joined_at=NOW, updated_at=NOW)


STUDENTS = [Candidate(candidate_id=s, self_pr="I build farming robots with my lab") for s in ("hana", "aiko", "mei")]


class Stack:
    def __init__(self, company: Company) -> None:
        self.company = company
        self.clock = SettableClock(NOW, frozen=True)
        self.scouts = InMemoryScouts()
        self.units = InMemoryUnits()
        self.expiry = InMemoryDueBuckets()
        directory = Directory(company, candidates=STUDENTS)
        self.handlers = ScoutingHandlers(
            scouts=self.scouts, units=self.units, companies=directory,  # type: ignore[arg-type]
            candidates=directory, settings=ScoutSettings(), clock=self.clock,  # type: ignore[arg-type]
            projection=NoIndex(), expiry=self.expiry, settling=InMemoryDueBuckets())  # type: ignore[arg-type]

    async def send(self, candidate_id: str) -> Scout:
        return await self.handlers.send(self.company, SATO, candidate_id=candidate_id, reason=REASON,
                                        tier="regular", template_id=None)

    def announced(self) -> list[str]:
        return [e.type for e in self.scouts.published]


async def test_the_monthly_quota_is_spent_then_refused_even_when_requests_race_for_the_last_unit():
    stack = Stack(a_company(quota=2))
    await stack.send("hana")
    answers = await asyncio.gather(stack.send("aiko"), stack.send("mei"), return_exceptions=True)
    refused = [a for a in answers if isinstance(a, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], Conflict) and "quota (2) is spent" in str(refused[0])
    assert stack.announced() == ["ScoutSent", "ScoutSent"]
    usage = await stack.handlers.usage(stack.company)
    assert usage["quota_used"]["regular"] == 2 and usage["awaiting"] == 2  # the refused one gave its slot back


async def test_only_so_many_scouts_await_an_answer_and_a_decline_frees_one():
    stack = Stack(a_company(quota=10, max_awaiting=1))
    first = await stack.send("hana")
    with pytest.raises(Conflict, match="already await an answer"):
        await stack.send("aiko")
    await stack.handlers.decline(first.scout_id, "hana", reason="not looking")
    await stack.send("aiko")
    assert stack.announced() == ["ScoutSent", "ScoutDeclined", "ScoutSent"]


async def test_one_scout_awaits_her_answer_and_after_a_decline_the_cooldown_refuses_another():
    stack = Stack(a_company())
    scout = await stack.send("hana")
    with pytest.raises(Conflict, match="already awaiting her answer"):
        await stack.send("hana")
    with pytest.raises(NotFound):  # another student cannot decline it (nor learn it exists)
        await stack.handlers.decline(scout.scout_id, "aiko", reason=None)
    declined = await stack.handlers.decline(scout.scout_id, "hana", reason="not looking")
    assert declined.state == "declined"
    with pytest.raises(Conflict, match="not awaiting"):
        await stack.handlers.decline(scout.scout_id, "hana", reason="again")
    stack.clock.advance(days=179)
    with pytest.raises(Conflict, match="cooldown"):
        await stack.send("hana")
    stack.clock.advance(days=2)
    await stack.send("hana")


async def test_her_first_view_is_announced_once():
    stack = Stack(a_company())
    scout = await stack.send("hana")
    stack.clock.advance(hours=1)
    seen = await stack.handlers.view(scout.scout_id, "hana")
    await stack.handlers.view(scout.scout_id, "hana")
    assert seen.viewed_at == NOW + timedelta(hours=1)
    assert stack.announced() == ["ScoutSent", "ScoutViewed"]


async def test_an_unanswered_scout_expires_once_frees_its_slot_and_starts_the_no_reply_cooldown():
    stack = Stack(a_company(max_awaiting=1))
    scout = await stack.send("hana")
    stack.clock.set(scout.expires_at - timedelta(minutes=1))
    assert await stack.handlers.expire_due() == 0
    stack.clock.set(scout.expires_at)
    assert await stack.handlers.expire_due() == 1
    assert await stack.handlers.expire_due() == 0
    assert stack.announced() == ["ScoutSent", "ScoutExpired"]
    with pytest.raises(Conflict, match="cooldown"):
        await stack.send("hana")
    await stack.send("aiko")  # the awaiting slot is free again


async def test_her_block_withdraws_the_awaiting_scout_and_refuses_the_next():
    stack = Stack(a_company())
    scout = await stack.send("hana")
    await stack.handlers.block("hana", "comp-a")
    assert (await stack.scouts.get(scout.scout_id)).state == "withdrawn"  # type: ignore[union-attr]
    with pytest.raises(Conflict, match="blocked"):
        await stack.send("hana")
    assert stack.announced() == ["ScoutSent", "CompanyBlocked"]
