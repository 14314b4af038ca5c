"""Each party's threads read from the threads index: newest activity first, pages, only the caller's,
her own archive at once, an erasure, a late projection refused, and a rebuild from the store."""

from tsunagu_messaging.adapters.thread_index import thread_document
from tsunagu_messaging.rebuild import rebuild


async def companies_of(stack, who: dict, **params) -> list[str]:
    answer = await stack.client.get("/threads", params=params, headers=who)
    assert answer.status_code == 200, answer.text
    return [t["company_id"] for t in answer.json()]


async def test_threads_newest_activity_first_in_pages_and_only_the_callers(stack):
    for company in ("acme", "beta", "gamma"):
        await stack.consumed(await stack.scout(company, "hana"))
    await stack.consumed(await stack.scout("acme", "yuki"))
    hana = stack.student("hana")
    beta = (await stack.thread_of("hana", "beta"))["thread_id"]
    sent = await stack.client.post(f"/threads/{beta}/messages", headers=stack.recruiter("beta"),
                                   json={"body": "Shall we talk this week?"})
    assert sent.status_code == 201, sent.text

    async def beta_first():
        return (await companies_of(stack, hana))[:1] == ["beta"]
    await stack.eventually(beta_first)
    assert sorted(await companies_of(stack, hana)) == ["acme", "beta", "gamma"]
    assert await companies_of(stack, stack.student("yuki")) == ["acme"]
    assert await companies_of(stack, stack.recruiter("acme")) == ["acme", "acme"], "hana's and yuki's"
    assert await companies_of(stack, stack.recruiter("gamma")) == ["gamma"]

    first = await stack.client.get("/threads", params={"limit": 2}, headers=hana)
    shown, cursor = [t["company_id"] for t in first.json()], first.headers["X-Next-Cursor"]
    rest = await stack.client.get("/threads", params={"limit": 2, "cursor": cursor}, headers=hana)
    assert "X-Next-Cursor" not in rest.headers
    assert shown + [t["company_id"] for t in rest.json()] == await companies_of(stack, hana)
    forged = await stack.client.get("/threads", params={"cursor": "eyJrIjoidGhyZWFkcyIsInYiOlsxXX0"}, headers=hana)
    assert forged.status_code == 422 and forged.json()["detail"][0]["loc"] == ["query", "cursor"]

    archived = await stack.client.post(f"/threads/{beta}/archive", headers=hana)
    assert archived.status_code == 204
    assert "beta" not in await companies_of(stack, hana), "her own archive shows at once"
    assert await companies_of(stack, hana, archived="true") == ["beta"]
    assert "beta" in await companies_of(stack, stack.recruiter("beta")), "archived for her only"


async def test_an_erased_student_s_threads_close_and_the_index_is_rebuilt(stack):
    await stack.consumed(await stack.scout("acme", "leaver"))
    await stack.consumed(await stack.scout("acme", "stays"))
    thread_id = (await stack.thread_of("leaver", "acme"))["thread_id"]
    before = await stack.app.state.container.conversation.threads.get_versioned(thread_id)
    await stack.consumed(await stack.delete_profile("leaver"))

    async def closed():
        listed = (await stack.client.get("/threads", headers=stack.recruiter("acme"))).json()
        return {t["candidate_id"]: t["status"] for t in listed} == {"leaver": "closed", "stays": "open"}
    await stack.eventually(closed)

    projection = stack.app.state.container.conversation.threads.projection
    assert await projection.index.put(thread_document(*before)) is False, "a late projection is refused"
    await projection.index.drop()
    gone = await stack.client.get("/threads", headers=stack.recruiter("acme"))
    assert gone.status_code == 503, "a missing index is unavailable, not empty"
    assert await rebuild(stack.settings) == 2
    listed = (await stack.client.get("/threads", headers=stack.recruiter("acme"))).json()
    assert {t["candidate_id"]: t["status"] for t in listed} == {"leaver": "closed", "stays": "open"}
