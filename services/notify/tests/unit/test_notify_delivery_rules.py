"""The channel workers' pure rules: the retry ladder, refusals that opt her out, what a cancellation stops."""

from datetime import UTC, datetime

from tsunagu_notify.domain.delivery import cancelled_by, opt_out_source, retry_wait, waiting
from tsunagu_notify.domain.policy_config import PolicyConfig
from tsunagu_notify.domain.recipient import DeliveriesCancelled, DeliveryRequested, Erased

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def request(intent: str = "i-1", channel: str = "email", template: str = "scout_received",
            recipient: str = "cand-1") -> DeliveryRequested:
    return DeliveryRequested(key=f"{intent}:{recipient}:{channel}", intent_id=intent, recipient_id=recipient,
                             channel=channel, template=template, category="outreach", decided_at=NOW,
                             address="hanako@example.jp")


def test_the_ladder_is_climbed_then_given_up_and_retry_after_is_a_floor():
    config = PolicyConfig(backoff_ladder_seconds=[1, 5, 30], max_delivery_attempts=4)
    assert [retry_wait(n, config, None) for n in (1, 2, 3, 4)] == [1, 5, 30, None]
    assert retry_wait(1, config, 12) == 12  # the provider asked for longer
    assert retry_wait(2, config, 2) == 5    # never sooner than the ladder
    assert waiting(request(), 2, NOW, 5, "smtp 421").due_at == datetime(2026, 6, 1, 12, 0, 5, tzinfo=UTC)


def test_only_refusals_about_the_address_opt_her_out():
    assert opt_out_source("email", "550") == "email_bounce"
    assert opt_out_source("sms", "21610") == "sms_stop"
    assert opt_out_source("email", "421") is None    # try again later
    assert opt_out_source("line", "400") is None     # a malformed request says nothing about her
    assert opt_out_source("email", None) is None


def test_a_cancellation_stops_her_matching_requests_but_not_the_opt_out_confirmation():
    opted_out = DeliveriesCancelled(recipient_id="cand-1", channel="sms", reason="opted_out", at=NOW)
    assert cancelled_by(opted_out, request(channel="sms"))
    assert not cancelled_by(opted_out, request(channel="email"))
    assert not cancelled_by(opted_out, request(channel="sms", template="opt_out_confirmation"))
    assert not cancelled_by(opted_out, request(channel="sms", recipient="cand-2"))
    goal = DeliveriesCancelled(recipient_id="cand-1", intent_ids=("i-2",), reason="goal:OfferAccepted", at=NOW)
    assert cancelled_by(goal, request(intent="i-2")) and not cancelled_by(goal, request(intent="i-1"))
    assert cancelled_by(Erased(recipient_id="cand-1", at=NOW), request(channel="line"))
