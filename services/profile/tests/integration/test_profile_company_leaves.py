"""A company that leaves the platform: its recruiters lose access as soon as the event is consumed."""


async def test_recruiter_of_a_company_that_leaves_is_refused_afterwards(stack):
    await stack.create("cand-a", display_name="Hanako Yamada", industries=["it"])
    photo = await stack.client.put("/profiles/me/photo", headers=stack.candidate("cand-a"),
                                   files={"photo": ("a.png", stack.png, "image/png")})
    assert photo.status_code == 200
    rec = stack.recruiter("rec-1", "co-1")
    assert await stack.search_status(rec) == 403, "an unknown company sees nothing"

    await stack.company("co-1", status="active", change="joined", recruiters=("rec-1",))
    await stack.eventually(lambda: _status_is(stack, rec, 200), what="company joined")

    async def found() -> bool:  # search reads the index, which the projector fills
        page = await stack.client.get("/profiles", params={"industry": "it"}, headers=rec)
        return [p["candidate_id"] for p in page.json()["items"]] == ["cand-a"]
    await stack.eventually(found, what="cand-a in search")
    assert (await stack.client.get("/profiles/cand-a", headers=rec)).status_code == 200

    await stack.company("co-1", status="inactive", change="left")
    await stack.eventually(lambda: _status_is(stack, rec, 403), what="company left")
    for path in ("/profiles?industry=it", "/profiles/cand-a", "/profiles/cand-a/photo"):
        refused = await stack.client.get(path, headers=rec)
        assert refused.status_code == 403, path
        assert "Hanako" not in refused.text and "cand-a" not in refused.text


async def _status_is(stack, headers, status: int) -> bool:
    return await stack.search_status(headers) == status
