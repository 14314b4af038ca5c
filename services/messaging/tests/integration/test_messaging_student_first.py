"""A student cannot write first — from every angle — and her first reply publishes ReplyReceived once."""

from datetime import UTC, datetime

from tsunagu_shared.events import CompanyBlocked, CompanyStatusChanged, ScoutDeclined


def _now():
    return datetime.now(UTC)


async def test_no_thread_without_a_scout_from_every_angle(stack):
    hanako = stack.student("hanako")
    # New thread by hand: refused, the rule is named.
    opened = await stack.client.post("/threads", json={"company_id": "acme"}, headers=hanako)
    assert opened.status_code == 403 and "cannot start a conversation" in opened.json()["detail"]
    # Writing to a company that never scouted her.
    first = await stack.client.post("/companies/acme/messages", json={"body": "Hello!"}, headers=hanako)
    assert first.status_code == 403
    assert "acme has not scouted you" in first.json()["detail"]
    # A forged company id in her token changes nothing: she is still a student.
    forged = stack.student("hanako", company_id="acme")
    assert (await stack.client.post("/companies/acme/messages", json={"body": "hi"}, headers=forged)).status_code == 403
    # Claiming to be the recruiter in the body is refused as unknown input.
    claimed = await stack.client.post("/companies/acme/messages",
                                      json={"body": "hi", "sender_role": "recruiter"}, headers=hanako)
    assert claimed.status_code == 422 and claimed.json()["detail"][0]["loc"] == ["body", "sender_role"]
    # A recruiter cannot open a thread by hand either.
    by_company = await stack.client.post("/threads", json={"candidate_id": "hanako"}, headers=stack.recruiter("acme"))
    assert by_company.status_code == 403

    # Once acme scouts her, another student's token still cannot reach the thread or write into it.
    await stack.scout("acme", "hanako")
    thread = await stack.thread_of("hanako", "acme")
    other = stack.student("yuki")
    assert (await stack.client.post(f"/threads/{thread['thread_id']}/messages", json={"body": "hi"},
                                    headers=other)).status_code == 404
    assert (await stack.client.post("/companies/acme/messages", json={"body": "hi"}, headers=other)).status_code == 403
    # Her first words via the company route land in the scout's thread.
    reply = await stack.client.post("/companies/acme/messages", json={"body": "Thank you!"}, headers=hanako)
    assert reply.status_code == 201, reply.text
    assert reply.json()["thread_id"] == thread["thread_id"]
    envelopes = await stack.facts("ReplyReceived")
    assert [e.type for e in envelopes] == ["ReplyReceived"] and envelopes[0].event().candidate_id == "hanako"


async def test_first_reply_is_reply_received_exactly_once_and_redelivered_scouts_reuse_the_thread(stack):
    scout = await stack.scout("acme", "hanako", scout_id="scout-1")
    thread = await stack.thread_of("hanako", "acme")
    await stack.publisher.publish(scout)  # the same event redelivered
    await stack.scout("acme", "hanako", scout_id="scout-1")  # the same scout in a new envelope
    tid = thread["thread_id"]
    hanako, acme = stack.student("hanako"), stack.recruiter("acme")

    for body in ("Thank you for the scout", "When can we talk?"):
        assert (await stack.client.post(f"/threads/{tid}/messages", json={"body": body},
                                        headers=hanako)).status_code == 201
    assert (await stack.client.post(f"/threads/{tid}/messages", json={"body": "Tomorrow?"},
                                    headers=acme)).status_code == 201
    envelopes = await stack.facts("ReplyReceived", "MessageSent", "MessageSent")
    assert [e.type for e in envelopes] == ["ReplyReceived", "MessageSent", "MessageSent"]
    replied = envelopes[0].event()
    assert (replied.thread_id, replied.scout_id, replied.company_name) == (tid, "scout-1", "acme Inc.")
    assert [e.event().sender_role for e in envelopes[1:]] == ["candidate", "recruiter"]
    threads = (await stack.client.get("/threads", headers=hanako)).json()
    assert [t["thread_id"] for t in threads] == [tid]
    assert threads[0]["recruiter_name"] == "Sato"


async def test_block_decline_departure_and_deletion_stop_the_company(stack):
    for company in ("blocked-co", "declined-co", "gone-co", "deleted-co", "scout-blocked-co"):
        await stack.scout(company, "hanako" if company != "deleted-co" else "mai",
                          scout_id=f"s-{company}")
    hanako, mai = stack.student("hanako"), stack.student("mai")
    blocked = (await stack.thread_of("hanako", "blocked-co"))["thread_id"]
    declined = (await stack.thread_of("hanako", "declined-co"))["thread_id"]
    gone = (await stack.thread_of("hanako", "gone-co"))["thread_id"]
    deleted = (await stack.thread_of("mai", "deleted-co"))["thread_id"]
    scout_blocked = (await stack.thread_of("hanako", "scout-blocked-co"))["thread_id"]

    async def company_writes(thread_id, company):
        return await stack.client.post(f"/threads/{thread_id}/messages", json={"body": "Are you there?"},
                                       headers=stack.recruiter(company))

    # Block: the company can send nothing; she cannot either until she unblocks.
    assert (await stack.client.post(f"/threads/{blocked}/block", headers=hanako)).status_code == 204
    refused = await company_writes(blocked, "blocked-co")
    assert refused.status_code == 403 and "blocked" in refused.json()["detail"]
    assert (await stack.client.post(f"/threads/{blocked}/messages", json={"body": "x"},
                                    headers=hanako)).status_code == 403
    assert (await stack.client.post(f"/threads/{blocked}/block",
                                    headers=stack.recruiter("blocked-co"))).status_code == 403
    consumed = [await stack.scout("blocked-co", "hanako", scout_id="s-again")]  # a new scout does not lift her block
    consumed.append(await stack.publish(ScoutDeclined(scout_id="s-declined-co", company_id="declined-co",
                                                      candidate_id="hanako", declined_at=_now())))
    # A block she made in the scout service (CompanyBlocked) holds here too.
    consumed.append(await stack.publish(CompanyBlocked(candidate_id="hanako", company_id="scout-blocked-co",
                                                       blocked_at=_now())))
    consumed.append(await stack.publish(CompanyStatusChanged(company_id="gone-co", name="Gone", status="inactive",
                                                             change="left", changed_at=_now())))
    personal = await stack.client.post(f"/threads/{deleted}/messages", headers=mai,
                                       json={"body": "Call me at 090-1234-5678"})
    assert personal.status_code == 201
    consumed.append(await stack.delete_profile("mai"))
    await stack.consumed(*consumed)

    codes = [(await company_writes(t, c)).status_code for t, c in
             ((declined, "declined-co"), (gone, "gone-co"), (deleted, "deleted-co"), (blocked, "blocked-co"),
              (scout_blocked, "scout-blocked-co"))]
    assert codes == [403] * 5
    # After declining she may still write herself; after deletion her thread is closed for her too.
    assert (await stack.client.post(f"/threads/{declined}/messages", json={"body": "Sorry, maybe later"},
                                    headers=hanako)).status_code == 201
    kept = (await stack.client.get(f"/threads/{deleted}/messages", headers=stack.recruiter("deleted-co"))).json()
    assert [(m["body"], m["erased"]) for m in kept] == [("", True)]
    closed = await stack.client.post(f"/threads/{deleted}/messages", json={"body": "hi"}, headers=mai)
    assert closed.status_code == 403 and "closed" in closed.json()["detail"]
    # A scout racing her deletion opens nothing for her.
    await stack.consumed(await stack.scout("late-co", "mai"))
    threads = (await stack.client.get("/threads", headers=mai)).json()
    assert [t["company_id"] for t in threads] == ["deleted-co"] and threads[0]["status"] == "closed"
    # Unblocked, she writes again; the company may answer.
    assert (await stack.client.post(f"/threads/{blocked}/unblock", headers=hanako)).status_code == 204
    assert (await stack.client.post(f"/threads/{blocked}/messages", json={"body": "Okay, let's talk"},
                                    headers=hanako)).status_code == 201
    assert (await company_writes(blocked, "blocked-co")).status_code == 201
