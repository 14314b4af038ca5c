"""Photos live in profile's database, not on the pod's disk: a photo of several chunks downloads
byte for byte through the API, a new one replaces it, and the working directory stays empty."""

import os


async def test_photo_bytes_are_in_the_database_and_nothing_on_disk(stack, tmp_path, monkeypatch):
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    me = stack.candidate("cand-photo")
    await stack.create("cand-photo")
    large = b"\x89PNG\r\n\x1a\n" + os.urandom(int(1.5 * 1024 * 1024))  # two chunks; the limit is 2 MiB
    for photo in (large, stack.png):
        put = await stack.client.put("/profiles/me/photo", headers=me, files={"photo": ("me.png", photo, "image/png")})
        assert put.status_code == 200, put.text
        got = await stack.client.get("/profiles/me/photo", headers=me)
        assert got.status_code == 200 and got.content == photo
        assert await stack.stored_photo("cand-photo") == photo
    assert list(workdir.rglob("*")) == []
