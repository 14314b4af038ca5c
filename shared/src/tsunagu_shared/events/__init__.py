"""Every event contract of Tsunagu, registered by type name in EVENT_TYPES."""

from tsunagu_shared.events import matching, messaging, notify, profile, scout  # noqa: F401  (registration)
from tsunagu_shared.events.base import EVENT_TYPES, DomainEvent, utcnow
from tsunagu_shared.events.matching import *  # noqa: F401,F403
from tsunagu_shared.events.messaging import *  # noqa: F401,F403
from tsunagu_shared.events.notify import *  # noqa: F401,F403
from tsunagu_shared.events.profile import *  # noqa: F401,F403
from tsunagu_shared.events.scout import *  # noqa: F401,F403

__all__ = ["EVENT_TYPES", "DomainEvent", "utcnow", *EVENT_TYPES]
