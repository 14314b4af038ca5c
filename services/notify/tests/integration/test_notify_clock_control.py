"""The demo clock: only where enabled, only for admins."""

from datetime import UTC, datetime

from tsunagu_notify.config import NotifySettings
from tsunagu_notify.entrypoints.api import create_app
from tsunagu_shared.testing import bearer, isolated_settings, running_service


async def test_admins_move_the_clock_only_where_clock_control_is_enabled():
    moment = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    enabled = isolated_settings(NotifySettings, clock_control=True)
    async with running_service(create_app(enabled)) as client:
        admin = bearer(enabled, role="admin", subject="ops")
        candidate = bearer(enabled, role="candidate", subject="c1")
        refused = await client.put("/admin/clock", json={"now": moment.isoformat()}, headers=candidate)
        assert refused.status_code == 403
        moved = await client.put("/admin/clock", json={"now": moment.isoformat()}, headers=admin)
        assert moved.status_code == 200
        now = datetime.fromisoformat((await client.get("/admin/clock", headers=admin)).json()["now"])
        assert 0 <= (now - moment).total_seconds() < 60
        naive = await client.put("/admin/clock", json={"now": "2026-12-01T14:00:00"}, headers=admin)
        assert naive.status_code == 422

    disabled = isolated_settings(NotifySettings)
    async with running_service(create_app(disabled)) as client:
        admin = bearer(disabled, role="admin", subject="ops")
        refused = await client.put("/admin/clock", json={"now": moment.isoformat()}, headers=admin)
        assert refused.status_code == 404
