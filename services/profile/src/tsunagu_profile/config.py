"""Settings of the profile service (environment, prefix TSUNAGU_)."""

from typing import Annotated

from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.settings_contract import ADDRESS


class ProfileSettings(ServiceSettings):
    service_name: str = "profile"
    http_port: int = 8001
    # the read side: only profile searches
    opensearch_url: Annotated[str, ADDRESS] = "http://127.0.0.1:19200"
    photo_max_bytes: int = 2 * 1024 * 1024
    search_max_limit: int = 100
