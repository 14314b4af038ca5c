"""Every event contract of Tsunagu, registered by type name in EVENT_TYPES."""

from tsunagu_contracts.events import matching, messaging, notify, profile, scout  # noqa: F401  (registration)
from tsunagu_contracts.events.base import EVENT_TYPES, DomainEvent, utcnow
from tsunagu_contracts.events.matching import *  # noqa: F403
from tsunagu_contracts.events.messaging import *  # noqa: F403
from tsunagu_contracts.events.notify import *  # noqa: F403
from tsunagu_contracts.events.profile import *  # noqa: F403
from tsunagu_contracts.events.scout import *  # noqa: F403

__all__ = ["EVENT_TYPES", "DomainEvent", "utcnow", *EVENT_TYPES]
