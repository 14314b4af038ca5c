"""Start-up in one order, and one behaviour when the database is away: the service serves at once,
prepares its database in the background until it answers, and is ready only then."""

import asyncio
from contextlib import asynccontextmanager
from types import SimpleNamespace
from urllib.parse import urlparse

import httpx
from tsunagu_shared.app import create_app
from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.testing import free_port, isolated_settings, mongo_url, running_service


class ProbeSettings(ServiceSettings):
    service_name: str = "probe"


def probe_app(settings: ProbeSettings, register):
    async def bootstrap(s):
        infra = Infrastructure.open(s, outbox_collections=[])
        register(infra)
        return SimpleNamespace(infra=infra)

    return create_app(settings=settings, title="probe", description="probe", bootstrap=bootstrap, routers=[])


@asynccontextmanager
async def database_behind(port: int):
    """The test database, reachable on `port` while this runs (a byte-for-byte relay to it)."""
    target = urlparse(mongo_url())

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(target.hostname, target.port)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except ConnectionError:
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(relay, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()


async def test_preparations_run_in_order_before_the_kafka_side():
    seen: list[tuple[str, bool]] = []

    def register(infra: Infrastructure) -> None:
        async def first() -> None:
            await infra.db.things.create_index("a")
            seen.append(("first", infra.kafka_started.is_set()))

        async def second() -> None:
            seen.append(("second", infra.kafka_started.is_set()))

        infra.prepare(first, name="first")
        infra.prepare(second, name="second")

    async with running_service(probe_app(isolated_settings(ProbeSettings), register)) as client:
        assert seen == [("first", False), ("second", False)]
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"


async def test_a_service_started_without_its_database_prepares_it_once_it_answers():
    port = free_port()
    settings = isolated_settings(ProbeSettings,
                                 mongo_url=f"mongodb://127.0.0.1:{port}/?serverSelectionTimeoutMS=300")
    infras: list[Infrastructure] = []

    def register(infra: Infrastructure) -> None:
        infras.append(infra)
        infra.prepare(lambda: infra.db.things.create_index("a", name="by_a"), name="things indexes")

    app = probe_app(settings, register)
    # the lifespan returns at once although nothing answers on `port`
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            assert (await client.get("/healthz")).status_code == 200
            away = await client.get("/readyz")
            assert away.status_code == 503 and away.json()["checks"]["database"].startswith("unavailable")
            await asyncio.sleep(1)  # a few failed tries
            assert not infras[0].prepared.is_set()

            async with database_behind(port):
                await asyncio.wait_for(infras[0].prepared.wait(), timeout=20)
                ready = await client.get("/readyz")
                assert ready.json()["checks"]["database"] == "ok"
                indexes = await infras[0].db.things.index_information()
                assert "by_a" in indexes
