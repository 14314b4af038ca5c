"""The one place where the scout service's infrastructure is chosen and wired."""

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import structlog
from tsunagu_shared import search
from tsunagu_shared.clock import SYSTEM_CLOCK, Clock
from tsunagu_shared.due import DueBuckets
from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.topics import CONSUMER_GROUPS

from tsunagu_scout.adapters.campaigns import APPLICANTS, CAMPAIGNS, MongoCampaigns
from tsunagu_scout.adapters.candidates import SCOUT_REQUESTS, MongoCandidates
from tsunagu_scout.adapters.companies import COMPANY_CHANGES, MongoCompanies
from tsunagu_scout.adapters.scout_index import SCOUTS_INDEX, ScoutIndex
from tsunagu_scout.adapters.scouts import RELATIONS, SCOUTS, MongoScouts
from tsunagu_scout.adapters.units import MongoUnits
from tsunagu_scout.config import ScoutSettings
from tsunagu_scout.handlers.campaigns import CampaignHandlers
from tsunagu_scout.handlers.companies import CompanyHandlers
from tsunagu_scout.handlers.events import EventHandlers
from tsunagu_scout.handlers.recommendations import RecommendationHandlers
from tsunagu_scout.handlers.scouting import ScoutingHandlers
from tsunagu_scout.projection import ScoutProjection

log = structlog.get_logger(__name__)
OUTBOX_COLLECTIONS = [COMPANY_CHANGES, SCOUTS, RELATIONS, SCOUT_REQUESTS, CAMPAIGNS, APPLICANTS]


# a closed scout's slot is freed at once; the sweep frees it after this long if a crash came between
SETTLE_GRACE = timedelta(minutes=2)


def open_projection(infra: Infrastructure, settings: ScoutSettings) -> ScoutProjection:
    """The scouts index and what feeds it (the service, and the rebuild command)."""
    client = search.connect(settings)
    infra.add_closer(client.close)
    return ScoutProjection(scouts=MongoScouts(infra.db),
                           lists=ScoutIndex(search.SearchIndex(client, SCOUTS_INDEX, settings)))


@dataclass
class Container:
    infra: Infrastructure
    companies: CompanyHandlers
    scouting: ScoutingHandlers
    recommendations: RecommendationHandlers
    campaigns: CampaignHandlers
    events: EventHandlers

    @property
    def standing(self) -> CompanyHandlers:
        """Scout owns the facts: the auth layer asks its companies directly, without lag."""
        return self.companies

    async def stop_import_jobs(self) -> None:
        """Stop the campaign import jobs of this process; another process resumes them."""
        jobs = list(self.campaigns.jobs.values())
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)


async def bootstrap(settings: ScoutSettings, *, clock: Clock = SYSTEM_CLOCK) -> Container:
    infra = Infrastructure.open(settings, outbox_collections=OUTBOX_COLLECTIONS)
    companies = MongoCompanies(infra.db)
    projection = open_projection(infra, settings)
    scouts = projection.scouts
    units = MongoUnits(infra.db)
    candidates = MongoCandidates(infra.db)
    campaigns = MongoCampaigns(infra.db)
    scouting = ScoutingHandlers(scouts=scouts, units=units, companies=companies, candidates=candidates,
                                settings=settings, clock=clock, projection=projection,
                                expiry=DueBuckets(infra.db, "scout-expiry"),
                                settling=DueBuckets(infra.db, "scout-settle", grace=SETTLE_GRACE))
    events = EventHandlers(candidates=candidates, campaigns=campaigns, scouting=scouting, clock=clock)
    infra.add_consumer(group="scout", topics=list(CONSUMER_GROUPS["scout"]), handle=events.on_event)
    infra.add_projector(group="scout-search", topics=list(CONSUMER_GROUPS["scout-search"]),
                        handle_batch=projection.on_events)
    campaign_handlers = CampaignHandlers(campaigns=campaigns, candidates=candidates,
                                         settings=settings, clock=clock)
    infra.every(settings.sweep_seconds, scouting.expire_due, name="scouts_expired")
    infra.every(settings.campaign_resume_seconds, campaign_handlers.resume_stalled, name="campaign_imports_resumed")
    infra.every(settings.campaign_resume_seconds, campaign_handlers.drop_leftover_input,
                name="campaign_inputs_dropped")

    infra.prepare(projection.index.ensure_if_reachable, name="scouts search index")
    for repository in (scouts, units, candidates, campaigns):
        infra.prepare(repository.ensure_indexes, name=f"indexes of {type(repository).__name__}")

    container = Container(
        infra=infra,
        companies=CompanyHandlers(companies=companies, clock=clock),
        scouting=scouting,
        recommendations=RecommendationHandlers(candidates=candidates, companies=companies, scouts=scouts,
                                               settings=settings, clock=clock),
        campaigns=campaign_handlers,
        events=events,
    )
    infra.before_stop(container.stop_import_jobs)
    return container
