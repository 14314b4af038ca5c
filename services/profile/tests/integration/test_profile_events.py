"""Profile writes reach Kafka through the outbox, exactly once."""

from tsunagu_shared.testing import TopicReader, bearer, isolated_settings, running_service
from tsunagu_shared.topics import PROFILE_EVENTS, topic_name

from tsunagu_profile.config import ProfileSettings
from tsunagu_profile.entrypoints.api import create_app


async def test_create_and_delete_publish_one_event_each():
    settings = isolated_settings(ProfileSettings)
    headers = bearer(settings, role="candidate", subject="cand-1")
    async with running_service(create_app(settings)) as client:
        async with TopicReader(topic_name(PROFILE_EVENTS, settings.topic_prefix)) as reader:
            created = await client.post("/profiles/me", json={"display_name": "Hanako"}, headers=headers)
            assert created.status_code == 201, created.text
            assert (await client.delete("/profiles/me", headers=headers)).status_code == 204
            await reader.wait_for_types("ProfileCreated", "ProfileDeleted")
            envelopes = await reader.settle(1.0)
    assert [e.type for e in envelopes] == ["ProfileCreated", "ProfileDeleted"]
    assert {e.subject for e in envelopes} == {"cand-1"}
    assert envelopes[1].event().candidate_id == "cand-1"
