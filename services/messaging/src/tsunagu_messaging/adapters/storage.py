"""Where attachment bytes live: a small protocol and a local-folder implementation.

The metadata (owner, thread, type, size) is in the database; the store only
keeps bytes under an opaque key.
"""

import asyncio
from pathlib import Path
from typing import Protocol


class AttachmentStore(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...
    async def get(self, key: str) -> bytes: ...
    async def delete(self, key: str) -> None: ...


class LocalFolderStore:
    """Files in one folder, named by key (keys are generated ids, never user input)."""

    def __init__(self, root: str | Path) -> None:
        self._root = Path(root)

    def _path(self, key: str) -> Path:
        if not key.replace("-", "").isalnum():
            raise ValueError(f"invalid attachment key {key!r}")
        return self._root / key

    async def put(self, key: str, data: bytes) -> None:
        def write() -> None:
            self._root.mkdir(parents=True, exist_ok=True)
            temporary = self._path(key).with_suffix(".part")
            temporary.write_bytes(data)
            temporary.replace(self._path(key))

        await asyncio.to_thread(write)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)
