"""Where attachment bytes live: in messaging's database (tsunagu_shared.blobs), never on the
pod's disk. The metadata (owner, thread, type, size) is in the attachments collection; the
store only keeps bytes under an opaque key.
"""

from pymongo.asynchronous.database import AsyncDatabase
from tsunagu_shared.blobs import BlobStore, DatabaseBlobs

ATTACHMENT_FILES = "attachment"  # collections attachment_files and attachment_chunks

AttachmentStore = BlobStore


def database_store(db: AsyncDatabase) -> AttachmentStore:
    return DatabaseBlobs(db, ATTACHMENT_FILES)
