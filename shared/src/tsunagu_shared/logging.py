"""Structured JSON logs for every service (structlog), stdlib loggers included."""

import logging
import sys

import structlog
from structlog.typing import EventDict, Processor

from tsunagu_shared.observability.tracing import add_trace_ids

# the service named on every line; module state, because a logger caches its processors on first use,
# and a process that configures again (tests run several services' apps) must name the newest
_naming = {"service": "unknown"}


def add_service(_: object, __: str, event_dict: EventDict) -> EventDict:
    # on every line: a context variable bound at start is not seen by the server's request tasks
    event_dict.setdefault("service", _naming["service"])
    return event_dict


def configure_logging(service: str, level: str = "INFO") -> None:
    _naming["service"] = service
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        add_service,
        structlog.processors.add_log_level,
        add_trace_ids,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "pymongo"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # requests are logged once, by the app (route template, request and trace ids), not again by uvicorn
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
