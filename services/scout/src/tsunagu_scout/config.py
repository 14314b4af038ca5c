"""Settings of the scout service (environment, prefix TSUNAGU_)."""

from typing import Annotated

from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.settings_contract import ADDRESS


class ScoutSettings(ServiceSettings):
    service_name: str = "scout"
    http_port: int = 8002

    # Scouts
    scout_ttl_days: int = 30
    decline_cooldown_days: int = 180
    no_reply_cooldown_days: int = 90
    min_reason_chars: int = 10
    default_max_awaiting: int = 50
    sweep_seconds: float = 60.0

    # Daily recommendations and "please scout me"
    recommendations_per_day: int = 5
    scout_request_period_days: int = 30

    # ATS CSV campaigns
    share_base_url: Annotated[str, ADDRESS] = "https://tsunagu.example/c"
    campaign_chunk_rows: int = 1000
    campaign_chunk_max_bytes: int = 4_000_000  # a database document holds at most 16 MB
    campaign_stale_seconds: float = 60.0  # a running import not written for this long is resumed elsewhere
    campaign_resume_seconds: float = 15.0  # how often to look for such imports
    campaign_max_resumes: int = 3  # then the import is reported failed (a job that kills or fails every process)
    campaign_max_bytes: int = 20_000_000
    campaign_max_rows: int = 50_000
