"""The profiles index behind recruiter search: who leaves it (a company she blocked, an
erased profile), stale projections that must not come back, Japanese full text, keyset
pages, a rebuild from the store, and the service without its search engine."""

from datetime import UTC, datetime

from tsunagu_profile.adapters.search_index import profile_document
from tsunagu_profile.config import ProfileSettings
from tsunagu_profile.entrypoints.api import create_app
from tsunagu_profile.rebuild import rebuild
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import CompanyBlocked
from tsunagu_shared.testing import bearer, free_port, isolated_settings, running_service


async def test_a_company_she_blocked_never_finds_her(stack):
    rec_x, rec_y = await stack.joined("co-x"), await stack.joined("co-y")
    await stack.create("blocker", industries=["it"])
    await stack.create("other", industries=["it"])
    await stack.until_found(rec_x, ["other", "blocker"], industry="it")
    blocked = CompanyBlocked(candidate_id="blocker", company_id="co-x", blocked_at=datetime.now(UTC))
    await stack.scout_events.publish(Envelope.wrap(blocked, source="tsunagu/scout"))
    await stack.until_found(rec_x, ["other"], industry="it")
    assert await stack.found(rec_y, industry="it") == ["other", "blocker"], "other companies still find her"
    # a later change of her profile is projected with the block kept
    await stack.client.patch("/profiles/me", json={"location": "Fukuoka"}, headers=stack.candidate("blocker"))
    await stack.until_found(rec_y, ["blocker"], location="Fukuoka")
    assert await stack.found(rec_x, location="Fukuoka") == []


async def test_an_erased_profile_leaves_search_and_no_stale_projection_brings_her_back(stack):
    rec = await stack.joined("co-e")
    await stack.create("erased", school="Osaka")
    await stack.create("stays", school="Osaka")
    await stack.until_found(rec, ["stays", "erased"], school="Osaka")
    before = await stack.container.projection.profiles.get("erased")
    deleted = await stack.client.delete("/profiles/me", headers=stack.candidate("erased"))
    assert deleted.status_code == 204, deleted.text
    await stack.until_found(rec, ["stays"], school="Osaka")

    index = stack.container.projection.search.index
    assert await index.put(profile_document(before, [])) is False, "a late projection is refused"
    await index.refresh()
    assert await stack.found(rec, school="Osaka") == ["stays"]


async def test_japanese_full_text_over_self_pr_and_job_types(stack):
    rec = await stack.joined("co-j")
    await stack.create("ml", self_pr="東京大学で機械学習を研究し、Pythonで画像認識のアプリを作りました。",
                       job_types=["データサイエンティスト"])
    await stack.create("sales", self_pr="飲食店のアルバイトで売上を前年比120%に伸ばしました。", job_types=["営業"])
    await stack.until_found(rec, ["sales", "ml"])
    assert await stack.found(rec, q="機械学習") == ["ml"]
    assert await stack.found(rec, q="売上") == ["sales"]
    assert await stack.found(rec, q="python 画像認識") == ["ml"]
    assert await stack.found(rec, q="データ") == ["ml"], "job types are searched too"
    assert await stack.found(rec, q="営業") == ["sales"]
    assert await stack.found(rec, q="学習塾") == [], "every bigram must be there, not one of them"
    assert await stack.found(rec, q="売上", industry="finance") == []
    too_long = await stack.client.get("/profiles", params={"q": "あ" * 201}, headers=rec)
    assert too_long.status_code == 422 and too_long.json()["detail"][0]["loc"] == ["query", "q"]


async def test_keyset_pages_stay_whole_while_profiles_change(stack):
    rec = await stack.joined("co-k")
    ids = [f"k{i}" for i in range(5)]
    for candidate_id in ids:
        await stack.create(candidate_id, location="Nagoya")
    await stack.until_found(rec, list(reversed(ids)), location="Nagoya")
    first = (await stack.client.get("/profiles", params={"location": "Nagoya", "limit": 2}, headers=rec)).json()
    assert [p["candidate_id"] for p in first["items"]] == ["k4", "k3"]
    # k0 becomes the most recently active: it moves before the cursor, so the next pages skip it
    await stack.client.patch("/profiles/me", json={"self_pr": "更新"}, headers=stack.candidate("k0"))
    await stack.until_found(rec, ["k0", "k4", "k3", "k2", "k1"], location="Nagoya")
    rest, cursor = [], first["next_cursor"]
    while cursor:
        page = (await stack.client.get("/profiles", params={"location": "Nagoya", "limit": 2, "cursor": cursor},
                                       headers=rec)).json()
        rest += [p["candidate_id"] for p in page["items"]]
        cursor = page["next_cursor"]
    assert rest == ["k2", "k1"], "no profile twice, none of those after the cursor lost"


async def test_the_index_is_rebuilt_from_the_store(stack):
    rec = await stack.joined("co-r")
    for candidate_id in ("r1", "r2", "r3"):
        await stack.create(candidate_id, graduation_year=2028, self_pr="ロボット制御")
    blocked = CompanyBlocked(candidate_id="r2", company_id="co-r", blocked_at=datetime.now(UTC))
    await stack.scout_events.publish(Envelope.wrap(blocked, source="tsunagu/scout"))
    assert (await stack.client.delete("/profiles/me", headers=stack.candidate("r3"))).status_code == 204
    await stack.until_found(rec, ["r1"], graduation_year=2028)

    index = stack.container.projection.search.index
    await index.drop()
    gone = await stack.client.get("/profiles", headers=rec)
    assert gone.status_code == 503, "a missing index is unavailable, not empty"
    # r1 and r2, and r3's erased marker while her tombstone waits for the relay to remove it
    assert await rebuild(stack.settings) in (2, 3)
    assert await stack.found(rec, graduation_year=2028) == ["r1"]
    assert await stack.found(rec, q="ロボット") == ["r1"]
    assert await stack.found(stack.service(), graduation_year=2028) == ["r2", "r1"]


async def test_without_its_search_engine_the_service_writes_and_search_answers_503(tmp_path):
    settings = isolated_settings(ProfileSettings, opensearch_url=f"http://127.0.0.1:{free_port()}")
    async with running_service(create_app(settings)) as client:
        created = await client.post("/profiles/me", json={"display_name": "Aoi"},
                                    headers=bearer(settings, role="candidate", subject="aoi"))
        assert created.status_code == 201, created.text
        assert (await client.get("/readyz")).status_code == 200
        search = await client.get("/profiles", headers=bearer(settings, role="service", subject="messaging"))
        assert search.status_code == 503 and search.headers["Retry-After"] == "5"
