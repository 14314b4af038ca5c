"""The deployed path (notify on the real broker and database, with the emulators) decides a
small season exactly like the in-process replay."""

import pytest
from tsunagu_simulator.kafka_mode import compare_through_kafka


@pytest.mark.slow
async def test_pipeline_and_in_process_replay_make_the_same_decisions():
    agreement = await compare_through_kafka(students=16, companies=4, days=2, seed=3, grid=3600)
    assert agreement.mismatches == [], agreement.summary_line()
    assert agreement.agree and agreement.intents >= 20
    actions = {action for action, _ in agreement.reasons}
    assert {"send", "defer", "suppress"} <= actions, agreement.reasons
