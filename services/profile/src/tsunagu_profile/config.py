"""Settings of the profile service (environment, prefix TSUNAGU_)."""

from pathlib import Path

from tsunagu_shared.settings import ServiceSettings

# services/profile/src/tsunagu_profile/config.py -> the repository root
REPO_ROOT = Path(__file__).resolve().parents[4]


class ProfileSettings(ServiceSettings):
    service_name: str = "profile"
    http_port: int = 8001
    # Development keeps photos in a local folder; tests point this at a temporary one.
    photo_folder: Path = REPO_ROOT / ".cache" / "profile-photos"
    photo_max_bytes: int = 2 * 1024 * 1024
    search_max_limit: int = 100
