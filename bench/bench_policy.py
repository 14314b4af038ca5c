"""Policy engine: decisions per second in process (decide + apply_decision on a recipient with
sends in her window), versus building the Decision object alone (the floor of any engine)."""

import time
from datetime import timedelta

from tsunagu_notify.domain.model import Action, Decision, Reason, SendRecord
from tsunagu_notify.domain.policy import apply_decision, decide
from tsunagu_notify.domain.policy_config import PolicyConfig
from tsunagu_notify.testing import an_intent, jst, reachable

from common import Figure, env_int


def _rate(step, seconds: float) -> float:
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(200):
            step()
        count += 200
    return count / elapsed


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

    floor = _rate(floor_step, seconds)
    decisions = _rate(policy_step, seconds)
    return [Figure("policy engine", "decisions/s in process", "decisions/s", decisions, baseline=floor,
                   baseline_name="Decision object construction only")]
