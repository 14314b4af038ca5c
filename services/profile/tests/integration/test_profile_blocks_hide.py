"""A block hides her: the company she blocked cannot read her profile or photo (404, as if she did not
exist) nor find her in search, while other companies still can; and a recruiter id that no company
registered is refused, as scout refuses it."""

from datetime import UTC, datetime

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import CompanyBlocked


async def test_the_company_she_blocked_neither_reads_nor_finds_her(stack):
    await stack.create("cand-a", display_name="Hanako Yamada", industries=["robotics"], self_pr="ロボット制御")
    await stack.create("cand-b", industries=["robotics"])
    photo = await stack.client.put("/profiles/me/photo", headers=stack.candidate("cand-a"),
                                   files={"photo": ("a.png", stack.png, "image/png")})
    assert photo.status_code == 200
    blocked, other = await stack.joined("co-blocked"), await stack.joined("co-other")
    await stack.until_found(blocked, ["cand-b", "cand-a"], industry="robotics", sort="newest")
    assert (await stack.client.get("/profiles/cand-a", headers=blocked)).status_code == 200

    event = CompanyBlocked(candidate_id="cand-a", company_id="co-blocked", blocked_at=datetime.now(UTC))
    await stack.scout_events.publish(Envelope.wrap(event, source="tsunagu/scout"))

    async def hidden() -> bool:
        return (await stack.client.get("/profiles/cand-a", headers=blocked)).status_code == 404
    await stack.eventually(hidden, what="her profile hidden from the company she blocked")
    for path in ("/profiles/cand-a", "/profiles/cand-a/photo"):
        answer = await stack.client.get(path, headers=blocked)
        assert answer.status_code == 404 and answer.json()["detail"] == "profile not found", path
        assert "Hanako" not in answer.text
    await stack.until_found(blocked, ["cand-b"], industry="robotics", sort="newest")
    assert await stack.found(blocked, q="ロボット制御") == []
    # Everyone else still sees her.
    await stack.until_found(other, ["cand-b", "cand-a"], industry="robotics", sort="newest")
    assert (await stack.client.get("/profiles/cand-a", headers=other)).json()["display_name"] == "Hanako Yamada"
    assert (await stack.client.get("/profiles/cand-a/photo", headers=other)).status_code == 200


async def test_a_recruiter_id_her_company_never_registered_is_refused(stack):
    await stack.create("cand-a", display_name="Hanako Yamada")
    registered = await stack.joined("co-1")  # co-1 is active, rec-co-1 registered with it
    assert (await stack.client.get("/profiles/cand-a", headers=registered)).status_code == 200
    stranger = stack.recruiter("rec-nobody-added", "co-1")  # a validly signed token, but not on co-1's list
    for path in ("/profiles", "/profiles/cand-a", "/profiles/cand-a/photo"):
        refused = await stack.client.get(path, headers=stranger)
        assert refused.status_code == 403, (path, refused.text)
        assert "not a registered recruiter" in refused.json()["detail"] and "Hanako" not in refused.text
    # Registered later (scout's RecruiterChanged), she is let in.
    await stack.recruiter_changed("rec-nobody-added", "co-1", active=True)

    async def admitted() -> bool:
        return await stack.search_status(stranger) == 200
    await stack.eventually(admitted, what="the recruiter registered")
