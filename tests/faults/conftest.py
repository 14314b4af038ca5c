"""Fault tests: they kill processes and stop the broker or the database on purpose.

`restarts_infrastructure` marks the tests that stop Kafka or FerretDB with
scripts/stack.py (select them with `-m restarts_infrastructure`, or leave them out with
`-m "not restarts_infrastructure"`). Every fault test needs the throwaway stack of
`make test`; without its variables they fail, they do not skip.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # faultkit, beside the tests (importlib import mode)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "restarts_infrastructure: stops and restarts Kafka or FerretDB of the test stack")


@pytest.fixture(autouse=True)
def own_stack() -> None:
    from faultkit import require_own_stack

    require_own_stack()
