"""Every change reaches profile.events through the outbox exactly once, with what it changed."""

from tsunagu_shared.events import ContactPreferencesChanged, ProfileUpdated, SelectionProgressUpdated

ANSWERS = {f"q{i:02d}": 3 for i in range(1, 16)}
BEFORE_DELETION = [
    "ProfileCreated", "ContactPreferencesChanged",
    "ProfileUpdated",
    "ProfileUpdated", "ContactPreferencesChanged",
    "SelectionProgressUpdated",
    "ContactPreferencesChanged",
    "ProfileUpdated",
    "ProfileUpdated",
    "ContactPreferencesChanged",
]


async def test_each_change_publishes_its_event_exactly_once(stack):
    me = stack.candidate("cand-1")
    async with stack.reader() as reader:
        await stack.create("cand-1", email="hanako@example.jp", school="Kyoto University",
                           contact_preferences={"channels": {"email": {"consented": True},
                                                             "line": {"consented": False}},
                                                "preferred_channel": "email"})
        steps = [
            ("patch", "/profiles/me", {"json": {"self_pr": "I build robots."}}),
            ("patch", "/profiles/me", {"json": {"self_pr": "I build robots."}}),  # no change: no event
            ("patch", "/profiles/me", {"json": {"phone": "+819012345678", "graduation_year": 2026}}),
            ("put", "/profiles/me/selection-progress",
             {"json": {"entries": [{"company_name": "Acme", "stage": "final_interview", "date": "2025-05-01"}]}}),
            ("patch", "/profiles/cand-1/contact-preferences", {"json": {"quiet_hours_start": "22:00"}}),
            ("post", "/profiles/me/personality-test", {"json": {"answers": ANSWERS}}),
            ("put", "/profiles/me/photo", {"files": {"photo": ("me.png", stack.png, "image/png")}}),
        ]
        for method, path, kwargs in steps:
            response = await stack.client.request(method, path, headers=me, **kwargs)
            assert response.status_code == 200, (path, response.text)
        by_service = await stack.client.patch(
            "/profiles/cand-1/contact-preferences", headers=stack.service(),
            json={"channels": {"sms": {"consented": True, "source": "messaging:thread-9"}}, "preferred_channel": "sms"},
        )
        assert by_service.status_code == 200, by_service.text
        # a deletion drops the events its profile had not published yet (ProfileDeleted supersedes
        # them for every subscriber), so the changes are seen out before she deletes it
        await reader.wait_for_types(*BEFORE_DELETION)
        assert (await stack.client.delete("/profiles/me", headers=me)).status_code == 204
        await reader.wait_for_types("ProfileDeleted")
        envelopes = await reader.settle(1.0)

    assert [e.type for e in envelopes] == [*BEFORE_DELETION, "ProfileDeleted"]
    assert {e.subject for e in envelopes} == {"cand-1"}
    assert len({e.id for e in envelopes}) == len(envelopes)
    events = [e.event() for e in envelopes]

    signup = events[1]
    assert isinstance(signup, ContactPreferencesChanged)
    assert signup.email == "hanako@example.jp" and signup.display_name == "Student cand-1"
    assert signup.channels["email"].consented and signup.channels["email"].consented_at is not None
    assert signup.channels["email"].source == "profile_signup"
    assert not signup.channels["line"].consented and signup.preferred_channel == "email"

    pr = events[2]
    assert isinstance(pr, ProfileUpdated)
    assert pr.changed_fields == ["self_pr"] and pr.changes == {"self_pr": "I build robots."}

    phone = events[3]
    assert phone.changed_fields == ["graduation_year", "phone"]
    assert phone.changes == {"graduation_year": 2026}, "contact points travel only in ContactPreferencesChanged"
    assert events[4].phone == "+819012345678"

    progress = events[5]
    assert isinstance(progress, SelectionProgressUpdated)
    assert [(e.company_name, e.stage) for e in progress.entries] == [("Acme", "final_interview")]

    assert events[6].quiet_hours_start == "22:00" and events[6].channels["email"].consented
    assert events[7].changed_fields == ["personality"] and events[7].changes["personality"]["result_type"]
    assert events[8].changed_fields == ["has_photo"] and events[8].changes == {"has_photo": True}

    by_messaging = events[9]
    assert by_messaging.preferred_channel == "sms"
    assert by_messaging.channels["sms"].consented and by_messaging.channels["sms"].source == "messaging:thread-9"
    assert events[10].candidate_id == "cand-1"


async def test_stop_all_withdraws_every_consent_in_one_event(stack):
    me = stack.candidate("cand-2")
    async with stack.reader() as reader:
        await stack.create("cand-2", email="a@example.jp", phone="+819011112222",
                           contact_preferences={"channels": {"email": {"consented": True}, "sms": {"consented": True}},
                                                "preferred_channel": "sms"})
        stopped = await stack.client.patch("/profiles/me/contact-preferences", json={"stop_all": True}, headers=me)
        assert stopped.status_code == 200, stopped.text
        assert stopped.json()["stop_all"] is True and stopped.json()["how_to_stop"]["sms"]
        await reader.wait_for_types("ContactPreferencesChanged", "ContactPreferencesChanged")
        envelopes = await reader.settle(0.8)
    last = [e.event() for e in envelopes if e.type == "ContactPreferencesChanged"][-1]
    assert len(envelopes) == 3
    assert last.stop_all and last.preferred_channel is None
    assert not any(c.consented for c in last.channels.values())
