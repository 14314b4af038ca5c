"""The CSV import jobs as an operator sees them (docs/observability.md): jobs by the state they
reached, jobs running in this process, and rows imported or refused (their rate is the
import's rows per second)."""

from prometheus_client import Counter, Gauge

STATES = ("started", "resumed", "completed", "rejected", "failed")

IMPORTS = Counter("tsunagu_campaign_imports_total", "CSV import jobs by the state they reached", ["state"])
RUNNING = Gauge("tsunagu_campaign_imports_running", "CSV import jobs running in this process")
ROWS = Counter("tsunagu_campaign_import_rows_total", "CSV rows by outcome (imported, refused as invalid)",
               ["outcome"])
for _state in STATES:
    IMPORTS.labels(_state)
for _outcome in ("imported", "refused"):
    ROWS.labels(_outcome)


def import_reached(state: str) -> None:
    IMPORTS.labels(state).inc()


def rows_imported(count: int) -> None:
    ROWS.labels("imported").inc(count)


def rows_refused(count: int) -> None:
    ROWS.labels("refused").inc(count)
