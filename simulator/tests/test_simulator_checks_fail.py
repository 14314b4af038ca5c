"""The hard checks can fail: each one catches a policy (or renderer) with its rule disabled."""

from tsunagu_notify.domain.model import Action, Decision, Reason
from tsunagu_notify.domain.policy import decide
from tsunagu_notify.domain.policy_config import PolicyConfig
from tsunagu_notify.domain.templates import Rendered, render
from tsunagu_simulator.cli import simulate

SEASON = dict(students=150, companies=8, days=10, seed=5)
REAL = PolicyConfig()


def run(**options) -> dict:
    summary, _ = simulate(**SEASON, config=options.pop("config", REAL), reference=REAL, workers=1, **options)
    return summary


def test_policy_without_quiet_hours_fails_the_quiet_hours_check():
    def no_quiet_hours(intent, state, now, config):
        always_open = {"quiet_hours_start": "00:00", "quiet_hours_end": "00:00"}
        return decide(intent, state.model_copy(update=always_open), now, config.model_copy(update=always_open))

    summary = run(decide_fn=no_quiet_hours)
    assert summary["checks"]["quiet_hours"] == "FAIL"
    assert summary["checks"]["after_opt_out"] == "PASS"


def test_policy_that_forgets_opt_outs_fails_the_opt_out_check():
    def forgets_opt_outs(intent, state, now, config):
        channels = {k: v.model_copy(update={"opted_out_at": None}) for k, v in state.channels.items()}
        return decide(intent, state.model_copy(update={"channels": channels}), now, config)

    summary = run(decide_fn=forgets_opt_outs)
    assert summary["checks"]["after_opt_out"] == "FAIL"


def test_policy_without_sms_caps_fails_the_sms_cap_check():
    no_channel_caps = REAL.model_copy(update={"caps": tuple(c for c in REAL.caps if c.scope != "channel")})
    summary = run(config=no_channel_caps)
    assert summary["checks"]["cap:sms_day"] == "FAIL"
    assert summary["checks"]["caps"] == "FAIL"


def test_policy_without_the_weekly_budget_fails_the_platform_cap_check():
    no_budget = REAL.model_copy(update={"caps": tuple(c for c in REAL.caps if c.scope != "platform")})
    summary = run(config=no_budget)
    assert summary["checks"]["cap:platform_week"] == "FAIL" or summary["checks"]["cap:platform_day"] == "FAIL"


def test_renderer_that_drops_the_footer_fails_sender_identification():
    def without_footer(name, **kwargs):
        rendered = render(name, **kwargs)
        return Rendered(subject=rendered.subject, body=rendered.body.split("\n")[0])

    summary = run(render_fn=without_footer)
    assert summary["checks"]["sender_identification"] == "FAIL"


def test_a_skip_without_a_skip_reason_fails_the_reasons_check():
    def silent_suppress(intent, state, now, config):
        decision = decide(intent, state, now, config)
        if decision.action == Action.DEFER:
            return Decision(intent_id=intent.intent_id, recipient_id=intent.recipient_id, action=Action.SUPPRESS,
                            reason=Reason.ALLOWED, decided_at=now, attempt=intent.attempt)
        return decision

    summary = run(decide_fn=silent_suppress)
    assert summary["checks"]["reasons"] == "FAIL"
