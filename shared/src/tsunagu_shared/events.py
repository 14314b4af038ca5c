"""The event contracts, under the name Tsunagu's code has always imported them by.

They live in the tsunagu-contracts package (contracts/), which subscribers install
on its own. This module is that package's `tsunagu_contracts.events`, and its
submodules are those of that package, so a class is the same object by either name
and there is one registry of event types.
"""

import sys

import tsunagu_contracts.events as _contracts_events

for _name, _module in list(sys.modules.items()):
    if _name.startswith("tsunagu_contracts.events."):
        sys.modules[__name__ + _name.removeprefix("tsunagu_contracts.events")] = _module
sys.modules[__name__] = _contracts_events
