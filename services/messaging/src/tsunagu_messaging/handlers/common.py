"""What every handler needs: the clock, the event source, loading a thread the caller may see."""


from tsunagu_shared.auth import Principal

from tsunagu_messaging.adapters.threads import ThreadRepository
from tsunagu_messaging.domain.threads import Side, Thread, ThreadNotVisible, side_of

SOURCE = "tsunagu/messaging"

class NotFound(Exception):
    """Nothing with this id that the caller may see."""


async def visible_thread(threads: ThreadRepository, thread_id: str, principal: Principal) -> tuple[Thread, Side]:
    """The thread and the caller's side in it; ThreadNotVisible for a missing thread or a stranger."""
    thread = await threads.get(thread_id)
    if thread is None:
        raise ThreadNotVisible(thread_id)
    return thread, side_of(thread, principal)
