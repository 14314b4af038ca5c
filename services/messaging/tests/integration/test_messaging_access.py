"""The access matrix: a recruiter of company A never reads B's threads, a student never another's."""

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_recruiters_and_students_reach_only_their_own_threads(stack, in_days):
    await stack.scout("company-a", "hanako")
    await stack.scout("company-b", "yuki")
    a_thread = (await stack.thread_of("hanako", "company-a"))["thread_id"]
    b_thread = (await stack.thread_of("yuki", "company-b"))["thread_id"]
    recruiter_a, recruiter_b = stack.recruiter("company-a", "ra"), stack.recruiter("company-b", "rb")
    hanako, yuki = stack.student("hanako"), stack.student("yuki")

    # Content in A's thread for strangers to try to reach.
    upload = await stack.client.post(f"/threads/{a_thread}/attachments", headers=recruiter_a,
                                     files={"file": ("map.png", PNG, "image/png")})
    assert upload.status_code == 201, upload.text
    attachment = upload.json()["attachment_id"]
    interview = await stack.client.post(f"/threads/{a_thread}/interviews", headers=recruiter_a,
                                        json={"slots": [{"starts_at": in_days(3)}]})
    offer = await stack.client.post(f"/threads/{a_thread}/offers", headers=recruiter_a,
                                    json={"terms": "Engineer, 4.5M JPY", "respond_by": in_days(7)})
    assert interview.status_code == 201 and offer.status_code == 201
    interview_id, offer_id = interview.json()["interview_id"], offer.json()["offer_id"]

    # The parties see everything.
    for who in (recruiter_a, hanako):
        for path in ("", "/messages", "/interviews", "/offers", "/contact-questions", f"/attachments/{attachment}"):
            assert (await stack.client.get(f"/threads/{a_thread}{path}", headers=who)).status_code == 200, path

    # Strangers (B's recruiter, another student, no token) get 404 / 401 on every route.
    reads = ["", "/messages", "/interviews", "/offers", "/contact-questions", f"/attachments/{attachment}"]
    writes = [("/messages", {"body": "hi"}), ("/read", None), ("/archive", None), ("/contact-questions", None),
              ("/interviews", {"slots": [{"starts_at": in_days(4)}]}),
              ("/offers", {"terms": "x", "respond_by": in_days(5)})]
    for stranger in (recruiter_b, yuki):
        for path in reads:
            assert (await stack.client.get(f"/threads/{a_thread}{path}", headers=stranger)).status_code == 404
        for path, body in writes:
            response = await stack.client.post(f"/threads/{a_thread}{path}", json=body, headers=stranger)
            # Company routes answer a student 403 by role before looking; everything else 404.
            company_only = stranger is yuki and path in ("/contact-questions", "/interviews", "/offers")
            assert response.status_code == (403 if company_only else 404), (path, response.status_code)
    cancel = await stack.client.post(f"/interviews/{interview_id}/cancel", json={}, headers=recruiter_b)
    assert cancel.status_code == 404
    assert (await stack.client.post(f"/offers/{offer_id}/accept", headers=yuki)).status_code == 404
    assert (await stack.client.post(f"/offers/{offer_id}/decline", json={"reason": "x"},
                                    headers=yuki)).status_code == 404
    assert (await stack.client.get(f"/threads/{a_thread}")).status_code == 401
    # A's attachment is not reachable through B's own thread either.
    assert (await stack.client.get(f"/threads/{b_thread}/attachments/{attachment}",
                                   headers=recruiter_b)).status_code == 404

    # Lists hold only one's own.
    assert [t["thread_id"] for t in (await stack.client.get("/threads", headers=recruiter_b)).json()] == [b_thread]
    assert [t["thread_id"] for t in (await stack.client.get("/threads", headers=hanako)).json()] == [a_thread]
    assert (await stack.client.get("/threads", headers=stack.service())).status_code == 403
