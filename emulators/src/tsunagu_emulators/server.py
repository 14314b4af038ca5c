"""Start the emulators inside the running event loop (tests) or as a process (__main__)."""

import asyncio
import os
from dataclasses import dataclass, field

from aiohttp import web
from aiosmtpd.smtp import SMTP

from tsunagu_emulators.control import control_app
from tsunagu_emulators.line_api import line_app
from tsunagu_emulators.oidc import Provider, oidc_app
from tsunagu_emulators.recorder import Recorder
from tsunagu_emulators.smtp import RecordingHandler
from tsunagu_emulators.twilio_api import twilio_app

DEFAULT_TWILIO_AUTH_TOKEN = "emulator-twilio-auth-token"
DEFAULT_LINE_CHANNEL_SECRET = "emulator-line-channel-secret"


@dataclass(frozen=True)
class EmulatorPorts:
    control: int
    twilio: int
    line: int
    smtp: int
    oidc: int = 0

    @classmethod
    def from_base(cls, base: int) -> "EmulatorPorts":
        return cls(control=base, twilio=base + 1, line=base + 2, smtp=base + 5, oidc=base + 3)


@dataclass
class Emulators:
    ports: EmulatorPorts
    recorder: Recorder
    identity_provider: Provider
    host: str = "127.0.0.1"
    _runners: list[web.AppRunner] = field(default_factory=list)
    _smtp: asyncio.base_events.Server | None = None

    @property
    def twilio_base_url(self) -> str:
        return f"http://{self.host}:{self.ports.twilio}"

    @property
    def line_base_url(self) -> str:
        return f"http://{self.host}:{self.ports.line}"

    @property
    def oidc_issuer(self) -> str:
        return f"http://{self.host}:{self.ports.oidc}"

    async def stop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            await self._smtp.wait_closed()
        for runner in self._runners:
            await runner.cleanup()


async def start_emulators(
    ports: EmulatorPorts,
    *,
    host: str = "127.0.0.1",
    twilio_auth_token: str = DEFAULT_TWILIO_AUTH_TOKEN,
    line_channel_secret: str = DEFAULT_LINE_CHANNEL_SECRET,
    recorder: Recorder | None = None,
) -> Emulators:
    """Serve the control API, Twilio, LINE and SMTP on the given ports in this loop.

    A port of 0 picks a free one; the chosen ports are in the returned `ports`."""
    recorder = recorder or Recorder()
    # the issuer names the port, known once bound (a port of 0 picks one)
    provider = Provider(issuer="")
    emulators = Emulators(ports=ports, recorder=recorder, identity_provider=provider, host=host)
    apps = {
        "control": control_app(recorder, twilio_auth_token=twilio_auth_token, line_channel_secret=line_channel_secret),
        "twilio": twilio_app(recorder, auth_token=twilio_auth_token),
        "line": line_app(recorder),
        "oidc": oidc_app(provider),
    }
    chosen = {}
    for name, app in apps.items():
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, getattr(ports, name))
        await site.start()
        emulators._runners.append(runner)
        chosen[name] = runner.addresses[0][1]
    loop = asyncio.get_running_loop()
    handler = RecordingHandler(recorder)
    emulators._smtp = await loop.create_server(lambda: SMTP(handler, hostname="emulator"), host, ports.smtp)
    chosen["smtp"] = emulators._smtp.sockets[0].getsockname()[1]
    emulators.ports = EmulatorPorts(**chosen)
    provider.issuer = emulators.oidc_issuer
    return emulators


async def serve_forever() -> None:
    base = int(os.environ.get("TSUNAGU_EMULATOR_PORT_BASE", "8020"))
    emulators = await start_emulators(
        EmulatorPorts.from_base(base),
        host=os.environ.get("TSUNAGU_EMULATOR_HOST", "127.0.0.1"),
        twilio_auth_token=os.environ.get("TSUNAGU_TWILIO_AUTH_TOKEN", DEFAULT_TWILIO_AUTH_TOKEN),
        line_channel_secret=os.environ.get("TSUNAGU_LINE_CHANNEL_SECRET", DEFAULT_LINE_CHANNEL_SECRET),
    )
    print(f"tsunagu emulators: {emulators.ports}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emulators.stop()
