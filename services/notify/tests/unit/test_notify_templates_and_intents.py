"""The message catalogue and the event -> intent mapping (pure, no servers)."""

from datetime import UTC, datetime
from string import Formatter

import pytest
from tsunagu_notify.domain.intents import intents_for
from tsunagu_notify.domain.journeys.definitions import sequences
from tsunagu_notify.domain.templates import TEMPLATES, Sender, TemplateRefused, render
from tsunagu_shared.events import InterviewSlotsProposed, OfferLapsed, ProposedSlot

SENDER = Sender()


def _variables(name: str) -> dict[str, str]:
    """A value for every variable the template uses, plus what every message needs."""
    fields = {f for text in TEMPLATES[name].texts["ja"] + TEMPLATES[name].texts["en"]
              for _, f, _, _ in Formatter().parse(text) if f}
    return {**{f: f"<{f}>" for f in fields}, "company_name": "Acme", "recipient_name": "Hana",
            "unsubscribe_url": "https://t.example/u/1"}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@pytest.mark.parametrize("channel", ["email", "sms", "line"])
@pytest.mark.parametrize("locale", ["ja", "en"])
def test_every_template_identifies_the_sender_on_every_channel(name, channel, locale):
    rendered = render(name, locale=locale, channel=channel, variables=_variables(name), sender=SENDER)
    operator = SENDER.operator if locale == "ja" else SENDER.operator_en
    assert "Hana" in rendered.body and operator in rendered.body and SENDER.contact in rendered.body
    if channel != "line":  # a LINE message comes from the platform's own account, which names itself
        assert "Acme" in rendered.body


def test_a_message_without_the_company_is_refused():
    variables = {k: v for k, v in _variables("scout_received").items() if k != "company_name"}
    with pytest.raises(TemplateRefused, match="company_name"):
        render("scout_received", locale="ja", channel="email", variables=variables, sender=SENDER)


def test_every_journey_step_names_a_template_of_the_catalogue():
    steps = {(s.name, step.template) for s in sequences() for step in s.steps}
    assert {t for _, t in steps} <= set(TEMPLATES), sorted(t for _, t in steps if t not in TEMPLATES)
    assert ("interview_reminder", "interview_reminder") in steps


def test_proposed_interview_times_reach_her_with_her_local_deadline():
    event = InterviewSlotsProposed(
        interview_id="iv-1", proposal_id="p-1", thread_id="th-1", company_id="acme", candidate_id="cand-1",
        slots=[ProposedSlot(slot_id="s-1", starts_at=datetime(2027, 3, 5, 1, 0, tzinfo=UTC))],
        respond_by=datetime(2027, 3, 3, 14, 59, tzinfo=UTC), proposed_at=datetime(2027, 3, 1, tzinfo=UTC),
        candidate_time_zone="Asia/Tokyo", respond_url="https://app.example/threads/th-1", company_name="Acme",
    )
    [intent] = intents_for(event, source_event_id="ev-1", now=datetime(2027, 3, 1, tzinfo=UTC))
    assert (intent.recipient_id, intent.template, intent.category, intent.company_id) == \
        ("cand-1", "interview_slots_proposed", "transactional", "acme")
    assert intent.variables["respond_by_local"].startswith("2027-03-03 23:59")
    assert intent.variables["share_url"] == "https://app.example/threads/th-1"
    again = intents_for(event, source_event_id="ev-1", now=datetime(2027, 3, 2, tzinfo=UTC))
    assert again[0].intent_id == intent.intent_id  # a redelivered event is the same intent


def test_a_lapsed_offer_tells_her_it_can_no_longer_be_accepted():
    deadline, lapsed = datetime(2027, 3, 3, 14, 59, tzinfo=UTC), datetime(2027, 3, 3, 15, tzinfo=UTC)
    event = OfferLapsed(offer_id="of-1", thread_id="th-1", company_id="acme", candidate_id="cand-1",
                        respond_by=deadline, lapsed_at=lapsed)
    [intent] = intents_for(event, source_event_id="ev-9", now=lapsed)
    assert (intent.recipient_id, intent.template, intent.category, intent.company_id) == \
        ("cand-1", "offer_lapsed", "transactional", "acme")
    assert intent.variables["respond_by_local"].startswith("2027-03-03 23:59")  # her deadline as Japan reads it
    # the event carries no company name: notify fills it from its directory before the intent goes out
    assert "company_name" not in intent.variables
