"""The one place where the scout service's infrastructure is chosen and wired."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.topics import CONSUMER_GROUPS

from tsunagu_scout.adapters.campaigns import APPLICANTS, CAMPAIGNS, MongoCampaigns
from tsunagu_scout.adapters.candidates import SCOUT_REQUESTS, MongoCandidates
from tsunagu_scout.adapters.companies import COMPANY_CHANGES, MongoCompanies
from tsunagu_scout.adapters.scouts import RELATIONS, SCOUTS, MongoScouts
from tsunagu_scout.adapters.units import MongoUnits
from tsunagu_scout.config import ScoutSettings
from tsunagu_scout.entrypoints.sweeper import Sweeper
from tsunagu_scout.handlers.campaigns import CampaignHandlers
from tsunagu_scout.handlers.companies import CompanyHandlers
from tsunagu_scout.handlers.events import EventHandlers
from tsunagu_scout.handlers.recommendations import RecommendationHandlers
from tsunagu_scout.handlers.scouting import ScoutingHandlers

Clock = Callable[[], datetime]
OUTBOX_COLLECTIONS = [COMPANY_CHANGES, SCOUTS, RELATIONS, SCOUT_REQUESTS, CAMPAIGNS, APPLICANTS]


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Container:
    infra: Infrastructure
    companies: CompanyHandlers
    scouting: ScoutingHandlers
    recommendations: RecommendationHandlers
    campaigns: CampaignHandlers
    events: EventHandlers
    sweeper: Sweeper
    indexes: Callable

    async def start_background(self) -> None:
        """Indexes, then the expiry sweeper (the Kafka side is started by infra)."""
        await self.indexes()
        self.sweeper.start()

    async def stop_background(self) -> None:
        await self.sweeper.stop()
        for job in list(self.campaigns.jobs):
            job.cancel()
        await asyncio.gather(*self.campaigns.jobs, return_exceptions=True)


async def bootstrap(settings: ScoutSettings, *, clock: Clock = system_clock) -> Container:
    infra = Infrastructure.open(settings, outbox_collections=OUTBOX_COLLECTIONS)
    companies = MongoCompanies(infra.db)
    scouts = MongoScouts(infra.db)
    units = MongoUnits(infra.db)
    candidates = MongoCandidates(infra.db)
    campaigns = MongoCampaigns(infra.db)
    scouting = ScoutingHandlers(scouts=scouts, units=units, companies=companies, candidates=candidates, relay=infra.relay,
                                settings=settings, clock=clock)
    events = EventHandlers(candidates=candidates, campaigns=campaigns, scouting=scouting, clock=clock)
    infra.add_consumer(group="scout", topics=list(CONSUMER_GROUPS["scout"]), handle=events.on_event)

    async def indexes() -> None:
        await scouts.ensure_indexes()
        await units.ensure_indexes()
        await candidates.ensure_indexes()
        await campaigns.ensure_indexes()

    return Container(
        infra=infra,
        companies=CompanyHandlers(companies=companies, relay=infra.relay, clock=clock),
        scouting=scouting,
        recommendations=RecommendationHandlers(candidates=candidates, companies=companies, scouts=scouts,
                                               relay=infra.relay, settings=settings, clock=clock),
        campaigns=CampaignHandlers(campaigns=campaigns, candidates=candidates, relay=infra.relay,
                                   settings=settings, clock=clock),
        events=events,
        sweeper=Sweeper(scouting.expire_due, every=settings.sweep_seconds),
        indexes=indexes,
    )
