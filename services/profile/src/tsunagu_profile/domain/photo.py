"""Photo checks: the type is read from the bytes (never trusted from the upload), the size is capped."""

from tsunagu_profile.domain.errors import InvalidField


class PhotoTooLarge(InvalidField):
    pass


class UnsupportedPhotoType(InvalidField):
    pass


def sniff_image_type(data: bytes) -> str | None:
    """JPEG, PNG or WebP from their magic bytes; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_photo(data: bytes, *, max_bytes: int) -> str:
    """The content type of an acceptable photo, or an error naming the `photo` field."""
    if len(data) > max_bytes:
        raise PhotoTooLarge(("body", "photo"), f"larger than {max_bytes} bytes")
    if not data:
        raise UnsupportedPhotoType(("body", "photo"), "the file is empty")
    content_type = sniff_image_type(data)
    if content_type is None:
        raise UnsupportedPhotoType(("body", "photo"), "only JPEG, PNG or WebP images")
    return content_type
