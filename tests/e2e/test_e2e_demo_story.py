"""`make demo`'s story, played in full against real processes, Kafka and FerretDB."""

import io

import pytest
from tsunagu_tools.demo import play_story
from tsunagu_tools.stack import StackUrls, Tokens

pytestmark = pytest.mark.slow


async def test_the_demo_story_runs_to_the_end_and_its_summary_matches_the_story(e2e_stack):
    out = io.StringIO()
    summary = await play_story(StackUrls.from_env(e2e_stack.env), Tokens(), out)
    text = out.getvalue()

    # A lazy scout is refused, saying what is missing; the story says where it leaves notify's clock.
    assert summary.lazy_scout_refused and "generic sentence" in summary.lazy_scout_refused
    assert "what_in_her_profile" in summary.lazy_scout_refused and "refused:" in text
    assert summary.notify_clock_left_at and f"left at {summary.notify_clock_left_at}" in text

    # Recruiter A's scout: exactly one LINE push to her, naming the company and the recruiter.
    assert summary.scout_a_line_pushes == 1
    assert "さくらロボティクスの佐藤 美咲さんからスカウトが届きました" in text
    # Recruiter B at 23:00 her time: deferred to 08:00, sent when the morning came.
    assert summary.scout_b_deferred_until == "08:00"
    assert summary.scout_b_delivered_at is not None and summary.scout_b_delivered_at >= "08:00"
    assert summary.held_back.get("defer:quiet_hours", 0) >= 1
    # After STOP: one confirmation, nothing more from anyone; the others' scouts were held back.
    assert summary.stop_confirmations == 1
    assert summary.messages_after_stop == 0
    assert summary.decisions_after_stop and all(d.startswith("suppress:") for d in summary.decisions_after_stop)
    # The ATS campaign: a template message per applicant, a reminder only to those who did not answer.
    assert summary.campaign_rows_imported == 3 and summary.campaign_messages == 3
    assert summary.export_rows == 3 and summary.export_statuses.get("responded") == 1
    assert summary.reminders_available, "the campaign_reminder sequence sent nothing"
    assert summary.non_responders_reminded == 2 and summary.reminders_to_responders == 0
    # The conversation: reply, interview, offer; after-care until she accepts, then none.
    assert (summary.replies, summary.interviews, summary.offers, summary.offers_accepted) == (1, 1, 1, 1)
    assert summary.aftercare_available, "the offer_aftercare sequence sent nothing"
    assert summary.aftercare_before_acceptance >= 1
    assert summary.aftercare_after_acceptance == 0
    assert summary.scouts_sent == 5
    assert summary.delivered.get("line", 0) >= 4 and summary.delivered.get("sms") == 2
    assert "Summary" in text
