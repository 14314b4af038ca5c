"""Everyday conversation: safe text, attachments, read receipts, unread counts, archive,
threads from a matching-event mutual interest, and the per-sender rate limit."""

from datetime import UTC, datetime

from tsunagu_shared.events import MutualInterestMatched

PDF = b"%PDF-1.4\n" + b"0" * 100


async def test_messages_attachments_receipts_and_archive(stack):
    await stack.publish(MutualInterestMatched(event_id="fair-1", company_id="acme", candidate_id="hanako",
                                              matched_at=datetime.now(UTC)))
    thread = await stack.thread_of("hanako", "acme")
    assert thread["opened_by"] == "mutual_interest"
    tid = thread["thread_id"]
    acme, hanako = stack.recruiter("acme"), stack.student("hanako")

    # Attachments: allowed type and size only, and the bytes must match the type.
    async def upload(name, data, content_type, who=acme):
        return await stack.client.post(f"/threads/{tid}/attachments", headers=who,
                                       files={"file": (name, data, content_type)})
    assert (await upload("x.html", b"<html>", "text/html")).status_code == 400
    disguised = await upload("cv.pdf", b"MZ\x90\x00not a pdf", "application/pdf")
    assert disguised.status_code == 400 and disguised.json()["detail"].startswith("file:")
    too_big = await upload("big.pdf", b"%PDF-" + b"0" * stack.settings.attachment_max_bytes, "application/pdf")
    assert too_big.status_code == 400 and "at most" in too_big.json()["detail"]
    brochure = await upload("../brochure.pdf", PDF, "application/pdf")
    assert brochure.status_code == 201 and brochure.json()["filename"] == "brochure.pdf"
    attachment_id = brochure.json()["attachment_id"]

    # Raw HTML is stored and returned escaped; the attachment rides on the message once.
    sent = await stack.client.post(f"/threads/{tid}/messages", headers=acme, json={
        "body": "<b>Welcome</b> <script>alert(1)</script>", "attachment_ids": [attachment_id]})
    assert sent.status_code == 201
    assert sent.json()["body"] == "&lt;b&gt;Welcome&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;"
    reuse = await stack.client.post(f"/threads/{tid}/messages", headers=acme,
                                    json={"body": "again", "attachment_ids": [attachment_id]})
    assert reuse.status_code == 400 and "attachment_ids" in reuse.json()["detail"]
    assert (await stack.client.post(f"/threads/{tid}/messages", headers=hanako,
                                    json={"body": "x", "attachment_ids": [attachment_id]})).status_code == 400
    too_long = await stack.client.post(f"/threads/{tid}/messages", headers=acme,
                                       json={"body": "a" * (stack.settings.message_max_chars + 1)})
    assert too_long.status_code == 400 and too_long.json()["detail"].startswith("body:")
    download = await stack.client.get(f"/threads/{tid}/attachments/{attachment_id}", headers=hanako)
    assert download.content == PDF and download.headers["content-type"] == "application/pdf"
    # A Japanese file name downloads under its own name (RFC 6266/5987), with an ASCII fallback.
    resume = await upload("履歴書.pdf", PDF, "application/pdf", who=hanako)
    assert resume.status_code == 201, resume.text
    named = await stack.client.get(f"/threads/{tid}/attachments/{resume.json()['attachment_id']}", headers=acme)
    assert named.status_code == 200 and named.content == PDF
    assert "filename*=UTF-8''%E5%B1%A5%E6%AD%B4%E6%9B%B8.pdf" in named.headers["content-disposition"]

    # Unread counts and read receipts.
    await stack.client.post(f"/threads/{tid}/messages", headers=acme, json={"body": "Any questions?"})
    mine = (await stack.client.get(f"/threads/{tid}", headers=hanako)).json()
    assert mine["unread"] == 2
    assert (await stack.client.get(f"/threads/{tid}", headers=acme)).json()["unread"] == 0
    receipt = await stack.client.post(f"/threads/{tid}/read", headers=hanako)
    assert receipt.json() == {"marked_read": 2}
    messages = (await stack.client.get(f"/threads/{tid}/messages", headers=acme)).json()
    assert all(m["read_at"] is not None for m in messages)
    assert (await stack.client.get(f"/threads/{tid}", headers=hanako)).json()["unread"] == 0

    # Archive is per side; the company's next message brings it back to her list.
    assert (await stack.client.post(f"/threads/{tid}/archive", headers=hanako)).status_code == 204
    assert (await stack.client.get("/threads", headers=hanako)).json() == []
    assert [t["thread_id"] for t in (await stack.client.get("/threads?archived=true", headers=hanako)).json()] == [tid]
    assert [t["thread_id"] for t in (await stack.client.get("/threads", headers=acme)).json()] == [tid]
    await stack.client.post(f"/threads/{tid}/messages", headers=acme, json={"body": "Reminder: fair follow-up"})
    back = (await stack.client.get("/threads", headers=hanako)).json()
    assert [t["thread_id"] for t in back] == [tid] and back[0]["unread"] == 1

    reply = await stack.client.post(f"/threads/{tid}/messages", headers=hanako, json={"body": "Thanks!"})
    assert reply.status_code == 201
    envelopes = await stack.facts("MessageSent", "MessageSent", "MessageSent", "ReplyReceived")
    assert [e.type for e in envelopes] == ["MessageSent", "MessageSent", "MessageSent", "ReplyReceived"]
    assert envelopes[-1].event().scout_id is None


async def test_rate_limit_per_sender_across_threads(stack_with):
    async with stack_with(rate_limit_messages=3, rate_limit_window_seconds=3600) as stack:
        await stack.scout("acme", "hanako")
        await stack.scout("acme", "yuki")
        first = (await stack.thread_of("hanako", "acme"))["thread_id"]
        second = (await stack.thread_of("yuki", "acme"))["thread_id"]
        recruiter, colleague = stack.recruiter("acme", "rec-1"), stack.recruiter("acme", "rec-2")
        codes = []
        for thread_id in (first, second, first, second):
            response = await stack.client.post(f"/threads/{thread_id}/messages", headers=recruiter,
                                               json={"body": "Hello"})
            codes.append(response.status_code)
        assert codes == [201, 201, 201, 429]
        assert int(response.headers["Retry-After"]) > 0 and "too many messages" in response.json()["detail"]
        # Another sender has a budget of her own.
        assert (await stack.client.post(f"/threads/{first}/messages", headers=colleague,
                                        json={"body": "Hi from my colleague"})).status_code == 201
        envelopes = await stack.facts("MessageSent", "MessageSent", "MessageSent", "MessageSent")
        assert len(envelopes) == 4
