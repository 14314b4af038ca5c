# What type checkers see of tsunagu_shared.events: at run time the module is tsunagu_contracts.events itself
# (events.py puts it in its place in sys.modules), which a checker cannot follow; nor can it read that
# package's `__all__`, which is built from its registry.
from tsunagu_contracts.events.base import EVENT_TYPES as EVENT_TYPES
from tsunagu_contracts.events.base import DomainEvent as DomainEvent
from tsunagu_contracts.events.base import utcnow as utcnow
from tsunagu_contracts.events.matching import *  # noqa: F403
from tsunagu_contracts.events.messaging import *  # noqa: F403
from tsunagu_contracts.events.notify import *  # noqa: F403
from tsunagu_contracts.events.profile import *  # noqa: F403
from tsunagu_contracts.events.scout import *  # noqa: F403
