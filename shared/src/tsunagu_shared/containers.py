"""The service's container (what `bootstrap` built) as a typed route dependency.

`bootstrap(settings)` returns the service's container and the app factory keeps it on the app.
A route names it with its real type, so its attributes are checked like any other code:

    ContainerDep = Annotated[Container, Depends(container_of(Container))]

    @router.get(...)
    async def read(container: ContainerDep): ...
"""

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request

T = TypeVar("T")


def container_of(kind: type[T]) -> Callable[[Request], T]:
    """A dependency giving this app's container, which must be a `kind` (a wiring mistake is a
    TypeError at the first request, not an AttributeError deep in a route)."""

    def container(request: Request) -> T:
        built = request.app.state.container
        if not isinstance(built, kind):
            raise TypeError(f"the app's container is a {type(built).__name__}, not a {kind.__name__}")
        return built

    container.__name__ = f"{kind.__name__.lower()}_container"
    return container
