"""Deleting the account leaves no personal data in the database or the photo store."""

from pymongo import AsyncMongoClient

PERSONAL = ("Hanako Yamada", "hanako@example.jp", "+819012345678", "Kyoto University", "Robots and tea",
            "Acme Corp", "Osaka")


async def test_deletion_erases_profile_photo_and_contact_data(stack):
    me = stack.candidate("cand-del")
    async with stack.reader() as reader:
        await stack.create("cand-del", display_name="Hanako Yamada", email="hanako@example.jp",
                           phone="+819012345678", school="Kyoto University", self_pr="Robots and tea",
                           location="Osaka", contact_preferences={"channels": {"sms": {"consented": True}}})
        for method, path, kwargs in [
            ("put", "/profiles/me/photo", {"files": {"photo": ("a.png", stack.png, "image/png")}}),
            ("put", "/profiles/me/selection-progress",
             {"json": {"entries": [{"company_name": "Acme Corp", "stage": "offer", "date": "2025-06-01"}]}}),
        ]:
            assert (await stack.client.request(method, path, headers=me, **kwargs)).status_code == 200
        assert await stack.stored_photo("cand-del") == stack.png
        assert (await stack.client.delete("/profiles/me", headers=me)).status_code == 204
        deleted = await reader.wait_for_types("ProfileDeleted")
    assert deleted[-1].event().candidate_id == "cand-del"
    assert "Hanako" not in deleted[-1].to_bytes().decode()

    assert await stack.stored_photo("cand-del") is None
    assert (await stack.client.get("/profiles/me", headers=me)).status_code == 404
    mongo = AsyncMongoClient(stack.settings.mongo_url, tz_aware=True)
    try:
        db = mongo[stack.settings.database_name]
        await stack.eventually(lambda: _gone(db), what="tombstone flushed")
        for name in await db.list_collection_names():
            async for document in db[name].find({}):
                text = str(document)
                assert not [p for p in PERSONAL if p in text], (name, document)
    finally:
        await mongo.close()
    again = await stack.client.post("/profiles/me", json={"display_name": "New start"}, headers=me)
    assert again.status_code == 201, "after a deletion she may register afresh"


async def _gone(db) -> bool:
    return await db["profiles"].count_documents({"_id": "cand-del"}) == 0
