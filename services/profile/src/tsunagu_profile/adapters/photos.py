"""Where profile photos are kept: a small protocol, and a local folder for development and tests.

Production plugs an object-storage implementation of the same protocol in bootstrap.
Files are named by a hash of the candidate id, so an id can never reach outside the folder.
"""

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Protocol


class PhotoStore(Protocol):
    async def put(self, candidate_id: str, data: bytes) -> None: ...
    async def get(self, candidate_id: str) -> bytes | None: ...
    async def delete(self, candidate_id: str) -> None: ...


class LocalPhotoStore:
    """One file per candidate in a folder; writes are atomic (write then rename)."""

    def __init__(self, folder: Path) -> None:
        self._folder = Path(folder)

    def _path(self, candidate_id: str) -> Path:
        return self._folder / hashlib.sha256(candidate_id.encode()).hexdigest()

    async def put(self, candidate_id: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self._path(candidate_id), data)

    async def get(self, candidate_id: str) -> bytes | None:
        path = self._path(candidate_id)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, candidate_id: str) -> None:
        await asyncio.to_thread(self._path(candidate_id).unlink, missing_ok=True)

    def _write(self, path: Path, data: bytes) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        os.replace(partial, path)
