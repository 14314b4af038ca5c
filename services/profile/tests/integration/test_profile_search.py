"""Recruiter search: each filter, the sort, and cursor pagination without gaps or repeats.

Search reads the profiles index, which the projector fills from profile.events: a write
shows there within about a second, so each expectation is awaited (bounded)."""

from datetime import UTC, datetime

ANSWERS_EXPLORER = {f"q{i:02d}": (5 if i >= 13 else 2) for i in range(1, 16)}


async def test_filters_narrow_the_results(stack):
    rec = await stack.joined("co-s")
    await stack.create("s1", industries=["it", "finance"], graduation_year=2026, school="Tohoku", location="Sendai")
    await stack.create("s2", industries=["maker"], graduation_year=2027, school="Kyoto", location="Kyoto")
    await stack.create("s3", industries=["it"], graduation_year=2027, school="Kyoto", location="Osaka")
    s2 = stack.candidate("s2")
    await stack.client.put("/profiles/me/selection-progress", headers=s2,
                           json={"entries": [{"company_name": "A", "stage": "final_interview", "date": "2025-04-01"}]})
    await stack.client.put("/profiles/me/photo", headers=stack.candidate("s3"),
                           files={"photo": ("a.png", stack.png, "image/png")})
    taken = await stack.client.post("/profiles/me/personality-test", headers=s2, json={"answers": ANSWERS_EXPLORER})
    assert taken.json()["personality"]["result_type"] == "explorer"

    # sorted by last activity: s2 took the test last, s3 uploaded a photo before
    await stack.until_found(rec, ["s2", "s3", "s1"])
    await stack.until_found(rec, ["s3", "s1"], industry="it")
    await stack.until_found(rec, ["s1"], graduation_year=2026)
    await stack.until_found(rec, ["s2", "s3"], school="Kyoto")
    await stack.until_found(rec, ["s3"], location="Osaka")
    await stack.until_found(rec, ["s2"], stage="final_interview")
    await stack.until_found(rec, ["s2"], personality_type="explorer")
    await stack.until_found(rec, ["s3"], has_photo="true")
    await stack.until_found(rec, ["s3"], industry="it", school="Kyoto")
    assert await stack.found(rec, stage="offer") == []


async def test_last_active_follows_her_own_writes(stack):
    rec = await stack.joined("co-s")
    await stack.create("old")
    await stack.create("new")
    since = datetime.now(UTC).isoformat()
    await stack.create("newest")
    await stack.until_found(rec, ["newest"], active_since=since)
    await stack.client.patch("/profiles/me", json={"self_pr": "back again"}, headers=stack.candidate("old"))
    await stack.until_found(rec, ["old", "newest"], active_since=since)
    assert (await stack.found(rec))[:2] == ["old", "newest"], "sorted by last activity, newest first"


async def test_cursor_pages_through_everything_once(stack):
    rec = await stack.joined("co-s")
    created = [f"p{i}" for i in range(7)]
    for candidate_id in created:
        await stack.create(candidate_id)
    await stack.until_found(rec, list(reversed(created)), sort="newest")
    seen, cursor, pages = [], None, 0
    while pages < 10:
        params = {"limit": 3, "sort": "newest", **({"cursor": cursor} if cursor else {})}
        page = (await stack.client.get("/profiles", params=params, headers=rec)).json()
        seen += [p["candidate_id"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(created))
    bad = await stack.client.get("/profiles", params={"cursor": "nonsense"}, headers=rec)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "cursor"]
