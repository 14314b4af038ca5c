"""Run the scout service: `python -m tsunagu_scout`."""

import uvicorn

from tsunagu_scout.config import ScoutSettings
from tsunagu_scout.entrypoints.api import create_app


def main() -> None:
    settings = ScoutSettings()
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)


if __name__ == "__main__":
    main()
