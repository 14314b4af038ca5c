"""`python -m tsunagu_console`: serve the recruiter console on TSUNAGU_CONSOLE_PORT (default 8000)."""

import uvicorn

from tsunagu_console.app import ConsoleSettings, create_app


def main() -> None:
    settings = ConsoleSettings()
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.console_port, log_level="warning")


if __name__ == "__main__":
    main()
