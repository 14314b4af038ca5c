"""A small seeded season: reproducible, every intent accounted for, the hard checks pass where the policy holds."""

from tsunagu_notify.domain.policy_config import PolicyConfig
from tsunagu_simulator.cli import simulate
from tsunagu_simulator.season import generate

SMALL = dict(students=120, companies=8, days=10, seed=11)


def _without_timing(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "performance"}


def test_same_seed_gives_the_same_season_whatever_the_number_of_workers():
    one, _ = simulate(**SMALL, config=PolicyConfig(), workers=1)
    two, _ = simulate(**SMALL, config=PolicyConfig(), workers=2)
    assert _without_timing(one) == _without_timing(two)
    other_seed, _ = simulate(**{**SMALL, "seed": 12}, config=PolicyConfig(), workers=1)
    assert other_seed["season"] != one["season"]


def test_every_intent_has_a_fate_and_every_student_day_is_counted():
    summary, _ = simulate(**SMALL, config=PolicyConfig(), workers=1)
    season = generate(**SMALL)
    fates = sum(n for outcomes in summary["intent_fates"].values() for n in outcomes.values())
    confirmations = summary["decisions_by_reason"].get("send", {}).get("opt_out_confirmation", 0)
    assert summary["season"]["intents"] == season.intent_count() + confirmations == fates
    assert summary["season"]["decisions"] >= summary["season"]["intents"]
    assert summary["contacts_per_student_day"]["max"] >= summary["contacts_per_student_day"]["p99"] >= \
        summary["contacts_per_student_day"]["median"]
    hours = summary["delivery_hours_local"]
    assert sum(sum(v) for v in hours.values()) == summary["season"]["deliveries"]
    log = summary["most_contacted"]["decision_log"]
    assert sum(1 for row in log if row["action"] == "send") == summary["most_contacted"]["deliveries"]


def test_hard_checks_that_the_policy_keeps_pass_on_the_real_policy():
    summary, _ = simulate(**SMALL, config=PolicyConfig(), workers=1)
    for check in ("quiet_hours", "after_opt_out", "consent", "sender_identification", "reasons",
                  "cap:platform_week", "cap:platform_day", "cap:sms_day", "cap:sms_week"):
        assert summary["checks"][check] == "PASS", (check, summary["violation_examples"].get(check))


def test_raising_the_weekly_budget_delivers_more_scouts():
    strict, _ = simulate(**SMALL, config=PolicyConfig(), workers=1)
    caps = tuple(c.model_copy(update={"limit": 8}) if c.name == "platform_week" else c for c in PolicyConfig().caps)
    loose, _ = simulate(**SMALL, config=PolicyConfig(caps=caps), workers=1)
    assert loose["scouts"]["never_delivered"] < strict["scouts"]["never_delivered"]
    assert loose["scouts"]["total"] == strict["scouts"]["total"]
