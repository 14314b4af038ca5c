"""`python -m tsunagu_emulators`: control API on TSUNAGU_EMULATOR_PORT_BASE, Twilio +1, LINE +2, SMTP +5."""

import asyncio

from tsunagu_emulators.server import serve_forever

if __name__ == "__main__":
    try:
        asyncio.run(serve_forever())
    except KeyboardInterrupt:
        pass
