"""Policy engine: decisions per second in process (decide + apply_decision on a recipient with
sends in her window), versus building the Decision object alone (the floor of any engine).

The two are measured in alternating slices of a quarter of a second, each rate over all its
slices: on a shared machine the load changes within seconds, and measuring one for three seconds
and then the other made their ratio swing by a factor of two between runs."""

import time
from datetime import timedelta

from common import Figure, env_int
from tsunagu_notify.domain.model import Action, Decision, Reason, SendRecord
from tsunagu_notify.domain.policy import apply_decision, decide
from tsunagu_notify.domain.policy_config import PolicyConfig
from tsunagu_notify.testing import an_intent, jst, reachable


def _rates(steps, seconds: float, slice_seconds: float = 0.25) -> list[float]:
    """Calls per second of each step, run in turns of `slice_seconds` for `seconds` in all."""
    counts, spent = [0] * len(steps), [0.0] * len(steps)
    while sum(spent) < seconds:
        for index, step in enumerate(steps):
            started = time.perf_counter()
            while (elapsed := time.perf_counter() - started) < slice_seconds:
                for _ in range(200):
                    step()
                counts[index] += 200
            spent[index] += elapsed
    return [count / elapsed for count, elapsed in zip(counts, spent, strict=True)]


async def run() -> list[Figure]:
    seconds = env_int("BENCH_POLICY_SECONDS", 3)
    config = PolicyConfig()
    now = jst(2, 12)
    sends = tuple(SendRecord(at=now - timedelta(hours=h * 30), channel="line", category="outreach",
                             company_ids=(f"co-{h}",)) for h in range(1, 4))
    state = reachable(sends=sends)
    intents = [an_intent(company=f"co-{n % 7}") for n in range(64)]
    position = 0

    def policy_step() -> None:
        nonlocal position
        intent = intents[position % 64]
        position += 1
        apply_decision(state, intent, decide(intent, state, now, config), config)

    def floor_step() -> None:
        Decision(intent_id="i", recipient_id="cand-1", action=Action.SEND, reason=Reason.ALLOWED,
                 decided_at=now, attempt=0, channel="line", at=now)

    floor, decisions = _rates([floor_step, policy_step], 2 * seconds)
    return [Figure("policy engine", "decisions/s in process", "decisions/s", decisions, baseline=floor,
                   baseline_name="Decision object construction only", target=">= 100,000 decisions/s",
                   meets_target=decisions >= 100_000)]
