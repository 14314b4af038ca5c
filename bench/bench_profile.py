"""Profile reads by id under concurrent load (httpx clients on loopback), versus a bare
FastAPI endpoint reading the same documents with the same driver. Recruiter search reads
the search index: bench_search.py."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
from common import Figure, env_int, http_load, rss_mib, service
from tsunagu_profile.config import ProfileSettings
from tsunagu_shared.testing import bearer, free_port

HERE = Path(__file__).resolve().parent


async def _bare(settings) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bare_profile_app:app", "--port", str(port), "--log-level", "warning"],
        cwd=HERE, env={**os.environ, "BENCH_MONGO_URL": settings.mongo_url, "BENCH_MONGO_DB": settings.mongo_db},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                await client.get(f"{url}/profiles?limit=1")
                return process, url
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
    raise RuntimeError("bare baseline app did not start")


async def run() -> list[Figure]:
    profiles, total = env_int("BENCH_PROFILES", 200), env_int("BENCH_HTTP_REQUESTS", 2000)
    concurrency, max_seconds = env_int("BENCH_HTTP_CONCURRENCY", 16), env_int("BENCH_HTTP_SECONDS", 20)
    process, settings = service("profile", ProfileSettings)
    await process.start()
    bare = None
    try:
        ids = [f"bench-cand-{n:04d}" for n in range(profiles)]
        async with httpx.AsyncClient(base_url=process.url, timeout=30) as client:
            for candidate in ids:
                created = await client.post("/profiles/me", json={"display_name": f"学生{candidate}"},
                                            headers=bearer(settings, role="candidate", subject=candidate))
                assert created.status_code == 201, created.text
        rest = rss_mib(process.process.pid)
        bare, bare_url = await _bare(settings)
        headers = bearer(settings, role="service", subject="bench")
        reads = [f"/profiles/{c}" for c in ids]
        figures = []
        for name, paths in (("read", reads),):
            base = await http_load(bare_url, paths, headers={}, concurrency=concurrency, total=total,
                                   max_seconds=max_seconds)
            real = await http_load(process.url, paths, headers=headers, concurrency=concurrency, total=total,
                                   max_seconds=max_seconds)
            assert real.errors == 0 and base.errors == 0, (name, real.errors, base.errors)
            figures.append(Figure("profile API", f"{name} requests/s ({concurrency} concurrent)", "requests/s",
                                  real.per_second, baseline=base.per_second,
                                  baseline_name="bare FastAPI + same driver"))
            figures.append(Figure("profile API", f"{name} p99 latency ({concurrency} concurrent)", "ms",
                                  real.p99_ms, baseline=base.p99_ms, baseline_name="bare FastAPI + same driver"))
        loaded = rss_mib(process.process.pid)
    finally:
        process.stop()
        if bare is not None:
            bare.terminate()
            bare.wait(10)
    figures.append(Figure("memory", "profile RSS at rest", "MiB", rest))
    figures.append(Figure("memory", "profile RSS after load", "MiB", loaded))
    return figures
