"""Attachments live in messaging's database, not on the pod's disk: an upload of several chunks
downloads byte for byte through the API, another process reads it from the database, and the
working directory of the service stays empty."""

import os
from datetime import UTC, datetime

from pymongo import AsyncMongoClient
from tsunagu_messaging.adapters.storage import database_store
from tsunagu_shared.events import MutualInterestMatched


async def test_attachment_bytes_are_in_the_database_and_nothing_on_disk(stack, tmp_path, monkeypatch):
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    monkeypatch.chdir(workdir)  # a relative folder (the former ./var/messaging-attachments) would land here
    await stack.publish(MutualInterestMatched(event_id="fair-store", company_id="acme", candidate_id="aoi",
                                              matched_at=datetime.now(UTC)))
    tid = (await stack.thread_of("aoi", "acme"))["thread_id"]
    pdf = b"%PDF-1.7\n" + os.urandom(3 * 1024 * 1024)  # three chunks and a bit; the limit is 5 MiB
    uploaded = await stack.client.post(f"/threads/{tid}/attachments", headers=stack.recruiter("acme"),
                                       files={"file": ("deck.pdf", pdf, "application/pdf")})
    assert uploaded.status_code == 201, uploaded.text
    attachment_id = uploaded.json()["attachment_id"]
    download = await stack.client.get(f"/threads/{tid}/attachments/{attachment_id}", headers=stack.student("aoi"))
    assert download.status_code == 200 and download.content == pdf

    mongo = AsyncMongoClient(stack.settings.mongo_url)
    try:
        assert await database_store(mongo[stack.settings.database_name]).get(attachment_id) == pdf
    finally:
        await mongo.close()
    assert list(workdir.rglob("*")) == []
