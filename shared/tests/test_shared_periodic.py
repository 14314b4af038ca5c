"""The one loop behind every service's periodic work (sweepers, schedulers)."""

import asyncio

from tsunagu_shared.periodic import Periodic


async def test_a_failing_call_is_tried_again_and_stop_ends_the_loop_after_the_call_under_way():
    calls: list[str] = []
    release = asyncio.Event()

    async def work() -> int:
        calls.append("call")
        if len(calls) == 1:
            raise RuntimeError("database away")
        if len(calls) == 3:
            await release.wait()  # the call under way when the service stops
        return 1

    periodic = Periodic(work, seconds=0.01, name="things_done")
    task = asyncio.create_task(periodic.run())
    while len(calls) < 3:
        await asyncio.sleep(0.01)
    periodic.stop()
    await asyncio.sleep(0.05)
    assert not task.done()  # stopping waits for the call under way...
    release.set()
    await asyncio.wait_for(task, timeout=1)  # ...and then the loop ends
    assert len(calls) == 3  # the failure did not end the loop; no call began after stop
