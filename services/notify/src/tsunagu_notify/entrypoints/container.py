"""notify's container as a typed route dependency."""

from typing import Annotated

from fastapi import Depends
from tsunagu_shared.containers import container_of

from tsunagu_notify.bootstrap import Container

ContainerDep = Annotated[Container, Depends(container_of(Container))]
