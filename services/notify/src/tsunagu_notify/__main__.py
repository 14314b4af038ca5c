"""Run the notify service: `python -m tsunagu_notify`."""

import uvicorn

from tsunagu_notify.config import NotifySettings
from tsunagu_notify.entrypoints.api import create_app


def main() -> None:
    settings = NotifySettings()
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)


if __name__ == "__main__":
    main()
