"""Run the messaging service: `python -m tsunagu_messaging`."""

import uvicorn

from tsunagu_messaging.config import MessagingSettings
from tsunagu_messaging.entrypoints.api import create_app


def main() -> None:
    settings = MessagingSettings()
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)


if __name__ == "__main__":
    main()
