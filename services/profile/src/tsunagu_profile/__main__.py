"""Run the profile service: `python -m tsunagu_profile`."""

import uvicorn

from tsunagu_profile.config import ProfileSettings
from tsunagu_profile.entrypoints.api import create_app


def main() -> None:
    settings = ProfileSettings()
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)


if __name__ == "__main__":
    main()
