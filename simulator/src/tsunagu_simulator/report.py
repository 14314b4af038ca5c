"""The report folder: summary.json, PNG charts and one HTML page (with a what-if comparison)."""

import html
import json
from pathlib import Path

from tsunagu_simulator import charts


def write(out: Path, summary: dict, histograms: dict, *, compare: tuple[dict, dict, str] | None = None) -> Path:
    """Write the report into `out` and return the HTML page's path."""
    out.mkdir(parents=True, exist_ok=True)
    images = charts.draw(summary, histograms, out)
    document = {"baseline": summary}
    section = ""
    if compare is not None:
        other, _other_histograms, name = compare
        document["compare"] = {"config": name, "summary": other}
        images += [charts.draw_comparison(summary, other, ("baseline", name), out)]
        section = _comparison(summary, other, name)
    (out / "summary.json").write_text(json.dumps(document, indent=1, ensure_ascii=False, default=str))
    page = out / "index.html"
    page.write_text(_page(summary, images, section))
    return page


def _table(rows: list[list], head: list[str]) -> str:
    cells = "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"


def _page(s: dict, images: list[str], comparison: str) -> str:
    checks = _table([[k, v, s["violations"].get(k, 0)] for k, v in s["checks"].items()],
                    ["check", "result", "violations"])
    dist = _table([[name, d["median"], d["p99"], d["max"], d["mean"]] for name, d in (
        ("contacts / student / day", s["contacts_per_student_day"]),
        ("contacts / student / week", s["contacts_per_student_week"]),
        ("outreach / student / day", s["outreach_per_student_day"]),
        *((f"{c} / student / day", v["per_student_day"]) for c, v in s["per_channel"].items()))],
        ["distribution", "median", "p99", "max", "mean"])
    reasons = _table([[a, r, n] for a, rs in s["decisions_by_reason"].items() for r, n in rs.items()],
                     ["action", "reason", "decisions"])
    companies = sorted(s["companies"], key=lambda c: -c["delivered"])[:25]
    company_table = _table([[c["company_id"], c["plan"], c["behaviour"], c["delivered"], c["not_delivered"],
                             c["max_to_one_student"]] for c in companies],
                           ["company", "plan", "behaviour", "delivered", "not delivered", "max to one student"])
    top = s["most_contacted"] or {"decision_log": []}
    log = _table([[r["at_local"], r["template"], r["company_id"] or "", r["attempt"], r["action"], r["reason"],
                   r["channel"] or "", r["until_local"] or ""] for r in top["decision_log"]],
                 ["local time", "template", "company", "attempt", "action", "reason", "channel", "until"])
    pics = "".join(f'<img src="{html.escape(i)}" alt="{html.escape(i)}">' for i in images)
    season, perf = s["season"], s["performance"]
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Tsunagu season simulation</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:2px 8px;font-size:13px}}img{{max-width:49%}}</style></head><body>
<h1>Season simulation</h1>
<p>{season['students']} students, {season['companies']} companies, {season['days']} days, seed {season['seed']}:
{season['intents']} intents, {season['decisions']} decisions, {season['deliveries']} deliveries.
{perf['decisions_per_second']} decisions/s on {perf['workers']} worker(s), {perf['seconds']} s.</p>
<h2>Hard checks (recomputed from the delivered log)</h2>{checks}
<h2>Contacts</h2>{dist}
<p>Scouts: {html.escape(json.dumps(s['scouts']))}.
Deferred deliveries waited: {html.escape(json.dumps(s['deferral_wait']))}.</p>
{pics}
<h2>Decisions by reason</h2>{reasons}
{comparison}
<h2>Companies (top 25 by deliveries)</h2>{company_table}
<h2>The most contacted student: {html.escape(str(top.get('student_id')))} ({top.get('deliveries')} messages,
{html.escape(str(top.get('time_zone')))}, quiet hours {html.escape(str(top.get('quiet_hours')))})</h2>{log}
</body></html>"""


def _comparison(left: dict, right: dict, name: str) -> str:
    keys = ("total", "sent_at_once", "delayed", "never_delivered")
    rows = [[k, left["scouts"][k], right["scouts"][k], right["scouts"][k] - left["scouts"][k]] for k in keys]
    rows.append(["deliveries", left["season"]["deliveries"], right["season"]["deliveries"],
                 right["season"]["deliveries"] - left["season"]["deliveries"]])
    for k in ("median", "p99", "max"):
        a, b = left["contacts_per_student_week"][k], right["contacts_per_student_week"][k]
        rows.append([f"contacts/student/week {k}", a, b, b - a])
    checks = [[k, v, right["checks"].get(k)] for k, v in left["checks"].items()]
    return (f"<h2>What-if: baseline vs {html.escape(name)}</h2>"
            + _table(rows, ["scouts", "baseline", name, "difference"])
            + _table(checks, ["check", "baseline", name]))
