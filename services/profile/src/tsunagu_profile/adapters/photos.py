"""Where profile photos are kept: in profile's database (tsunagu_shared.blobs), never on the
pod's disk, one file per candidate (the key is her id)."""

from pymongo.asynchronous.database import AsyncDatabase
from tsunagu_shared.blobs import BlobStore, DatabaseBlobs

PHOTO_FILES = "photo"  # collections photo_files and photo_chunks

PhotoStore = BlobStore


def database_store(db: AsyncDatabase) -> PhotoStore:
    return DatabaseBlobs(db, PHOTO_FILES)
