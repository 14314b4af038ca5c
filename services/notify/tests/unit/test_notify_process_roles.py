"""TSUNAGU_NOTIFY_ROLES: which stages a notify process runs (its consumer groups), checked on the
wiring bootstrap builds (no connection is opened before start)."""

import pytest
from pydantic import ValidationError
from tsunagu_notify.bootstrap import bootstrap
from tsunagu_notify.config import NOTIFY_ROLES, NotifySettings
from tsunagu_notify.handlers.delivery import DeliveryWorker
from tsunagu_notify.handlers.policy import PolicyProcessor
from tsunagu_notify.handlers.views import ViewProjector


async def groups_of(roles: str) -> tuple[set[str], set[type]]:
    container = await bootstrap(NotifySettings(notify_roles=roles, topic_prefix="roles."))
    infra = container.infra
    try:
        return {c.group for c in infra.base.consumers}, {type(s) for s in infra.streams}
    finally:
        await infra.stop()


async def test_by_default_one_process_runs_every_stage():
    assert NotifySettings().roles() == frozenset(NOTIFY_ROLES)
    consumers, streams = await groups_of(",".join(NOTIFY_ROLES))
    assert consumers == {"roles.notify"}
    assert streams == {PolicyProcessor, DeliveryWorker, ViewProjector}


async def test_a_delivery_process_runs_only_the_channel_workers():
    consumers, streams = await groups_of("delivery")
    assert consumers == set()
    assert streams == {DeliveryWorker}


async def test_the_other_process_runs_everything_but_the_channel_workers():
    consumers, streams = await groups_of("intake, policy,views")
    assert consumers == {"roles.notify"}
    assert streams == {PolicyProcessor, ViewProjector}


@pytest.mark.parametrize("roles", ["", "deliver", "delivery,sms"])
def test_an_unknown_role_is_refused_naming_the_setting(roles):
    with pytest.raises(ValidationError, match="notify_roles"):
        NotifySettings(notify_roles=roles)
