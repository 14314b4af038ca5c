"""PNG charts of a season summary (matplotlib, Agg backend: no display needed)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def _save(fig, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path.name


def draw(summary: dict, histograms: dict, out: Path, *, label: str = "") -> list[str]:
    """Write the charts into `out`; returns their file names."""
    names = []
    fig, ax = plt.subplots(figsize=(7, 3.5))
    per_day = histograms["per_day"]
    xs = sorted(per_day)
    ax.bar(xs, [per_day[x] for x in xs], color="#3b7dd8")
    ax.set_yscale("log")
    ax.set(title=f"Contacts per student per local day {label}", xlabel="messages in one day", ylabel="student-days")
    names.append(_save(fig, out / f"contacts_per_day{label}.png"))

    fig, ax = plt.subplots(figsize=(7, 3.5))
    hours = summary["delivery_hours_local"]
    bottom = [0] * 24
    for category, counts in hours.items():
        ax.bar(range(24), counts, bottom=bottom, label=category)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    ax.set(title="Deliveries by hour, in each recipient's local time", xlabel="local hour", ylabel="deliveries")
    ax.legend()
    names.append(_save(fig, out / f"delivery_hours{label}.png"))

    fig, ax = plt.subplots(figsize=(7, 3.5))
    rows = [(f"{a}:{r}", n) for a, reasons in summary["decisions_by_reason"].items() for r, n in reasons.items()]
    rows.sort(key=lambda x: x[1])
    ax.barh([r[0] for r in rows], [r[1] for r in rows], color="#d8843b")
    ax.set(title="Decisions by action and reason (every attempt)", xlabel="decisions")
    names.append(_save(fig, out / f"decisions_by_reason{label}.png"))

    fig, ax = plt.subplots(figsize=(7, 3.5))
    waits = histograms["waits"]
    hours_x = sorted(k for k in waits if k > 0)
    ax.bar([k / 6 for k in hours_x], [waits[k] for k in hours_x], width=1 / 6, color="#5aa469")
    ax.set(title="How long deferred messages waited", xlabel="hours", ylabel="deliveries")
    names.append(_save(fig, out / f"deferral_wait{label}.png"))
    return names


def draw_comparison(left: dict, right: dict, names: tuple[str, str], out: Path) -> str:
    """Scouts at once / delayed / never delivered under two policies, side by side."""
    keys = ("sent_at_once", "delayed", "never_delivered")
    fig, ax = plt.subplots(figsize=(7, 3.5))
    width = 0.38
    for i, (summary, name) in enumerate(zip((left, right), names, strict=True)):
        ax.bar([k + i * width for k in range(3)], [summary["scouts"][k] for k in keys], width, label=name)
    ax.set_xticks([k + width / 2 for k in range(3)], keys)
    ax.set(title="Scouts under two policies", ylabel="scouts")
    ax.legend()
    return _save(fig, out / "compare_scouts.png")
