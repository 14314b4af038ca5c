"""Run the events service: `python -m tsunagu_events`."""

import uvicorn

from tsunagu_events.config import EventsSettings
from tsunagu_events.entrypoints.api import create_app


def main() -> None:
    settings = EventsSettings()
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)


if __name__ == "__main__":
    main()
