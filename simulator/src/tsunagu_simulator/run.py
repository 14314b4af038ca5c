"""Run a season through the policy, split by student over worker processes.

Students are independent for the policy (all her state is hers), so the season is cut
into chunks of students; each worker replays its students and returns one Aggregate.
Workers are forked, so the season, the config and a test's wrapped decide function
are inherited, not pickled."""

import multiprocessing
import os
import time
from dataclasses import dataclass

from tsunagu_notify.domain.policy import decide
from tsunagu_notify.domain.policy_config import PolicyConfig
from tsunagu_notify.domain.templates import render

from tsunagu_simulator.engine import DecideFn, Lived, RenderFn, live_season
from tsunagu_simulator.season import Season
from tsunagu_simulator.stats import Aggregate, add_student

_job: dict = {}


@dataclass
class Outcome:
    aggregate: Aggregate
    seconds: float
    workers: int

    @property
    def decisions_per_second(self) -> float:
        return self.aggregate.decisions / self.seconds if self.seconds else 0.0


def _chunk(bounds: tuple[int, int]) -> Aggregate:
    season, config = _job["season"], _job["config"]
    agg = Aggregate()
    for student in season.students[bounds[0]:bounds[1]]:
        lived = live_season(season, student, config, decide_fn=_job["decide"], render_fn=_job["render"])
        add_student(agg, lived, season, _job["reference"])
    return agg


def run_season(season: Season, config: PolicyConfig, *, reference: PolicyConfig | None = None,
               decide_fn: DecideFn = decide, render_fn: RenderFn = render, workers: int | None = None) -> Outcome:
    """Replay every student's season; checks are made against `reference` (default: `config`)."""
    _job.update(season=season, config=config, reference=reference or config, decide=decide_fn, render=render_fn)
    workers = workers or min(os.cpu_count() or 1, 8)
    n = len(season.students)
    pieces = max(1, min(n, workers * 8))
    bounds = [(n * i // pieces, n * (i + 1) // pieces) for i in range(pieces)]
    started = time.perf_counter()
    total = Aggregate()
    if workers <= 1 or n < 200:
        for b in bounds:
            total.merge(_chunk(b))
        workers = 1
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for agg in pool.imap(_chunk, bounds):
                total.merge(agg)
    return Outcome(aggregate=total, seconds=time.perf_counter() - started, workers=workers)


def lived_all(season: Season, config: PolicyConfig, *, decide_fn: DecideFn = decide) -> list[Lived]:
    """Every student's full log (small seasons: the Kafka comparison and tests)."""
    return [live_season(season, s, config, decide_fn=decide_fn) for s in season.students]
