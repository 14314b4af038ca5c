"""`python -m tsunagu_simulator`: generate a season, replay it through the policy, write the report."""

import asyncio
from pathlib import Path

import typer

from tsunagu_simulator import config_files, report
from tsunagu_simulator.run import run_season
from tsunagu_simulator.season import generate
from tsunagu_simulator.summary import summarise

app = typer.Typer(add_completion=False, help=__doc__)


def simulate(*, students: int, companies: int, days: int, seed: int, config, workers: int | None = None,
             **run_options) -> tuple[dict, dict]:
    """One season under one policy: (summary, histograms for the charts)."""
    season = generate(students=students, companies=companies, days=days, seed=seed)
    outcome = run_season(season, config, workers=workers, **run_options)
    agg = outcome.aggregate
    return summarise(season, run_options.get("reference") or config, outcome), {"per_day": agg.per_day,
                                                                               "waits": agg.waits}


def _print_checks(summary: dict, title: str) -> bool:
    s, p = summary["season"], summary["performance"]
    typer.echo(f"{title}: {s['students']} students, {s['companies']} companies, {s['days']} days, seed {s['seed']}: "
               f"{s['intents']} intents, {s['decisions']} decisions, {s['deliveries']} deliveries")
    typer.echo(f"  {p['decisions_per_second']} decisions/s ({p['seconds']} s on {p['workers']} worker(s))")
    for name, verdict in summary["checks"].items():
        count = summary["violations"].get(name, 0) if name != "caps" else sum(
            n for k, n in summary["violations"].items() if k.startswith("cap:"))
        typer.echo(f"  {verdict}  {name}  ({count} violations)")
    return all(v == "PASS" for v in summary["checks"].values())


@app.command()
def main(
    students: int = typer.Option(10_000, min=1), companies: int = typer.Option(200, min=1),
    days: int = typer.Option(30, min=1), seed: int = typer.Option(7),
    out: Path = typer.Option(Path(".cache/simulation"), help="report folder"),
    config: Path | None = typer.Option(None, help="policy TOML (default: notify's policy.toml, --environment)"),
    environment: str = typer.Option("production", help="table of a policy.toml to use"),
    compare_config: Path | None = typer.Option(None, help="what-if: a second policy, side by side"),
    through_kafka: bool = typer.Option(False, help="also replay a small season through the running pipeline"),
    workers: int | None = typer.Option(None, min=1, help="processes (default: CPU count)"),
    strict: bool = typer.Option(False, help="exit 1 when a hard check fails"),
) -> None:
    """Simulate a recruiting season through the contact policy and write a report."""
    policy = config_files.load(config, environment=environment)
    summary, histograms = simulate(students=students, companies=companies, days=days, seed=seed, config=policy,
                                   workers=workers)
    passed = _print_checks(summary, "baseline")
    compare = None
    if compare_config is not None:
        other_policy = config_files.load(compare_config, environment=environment)
        other, other_hist = simulate(students=students, companies=companies, days=days, seed=seed,
                                     config=other_policy, workers=workers)
        _print_checks(other, compare_config.stem)
        compare = (other, other_hist, compare_config.stem)
        a, b = summary["scouts"], other["scouts"]
        typer.echo(f"  what-if scouts delayed {a['delayed']} -> {b['delayed']}, "
                   f"never delivered {a['never_delivered']} -> {b['never_delivered']}")
    page = report.write(out, summary, histograms, compare=compare)
    if through_kafka:
        from tsunagu_simulator.kafka_mode import compare_through_kafka

        agreement = asyncio.run(compare_through_kafka(policy))
        typer.echo(f"through Kafka: {agreement.summary_line()}")
        passed = passed and agreement.agree
    typer.echo(f"report: {page.resolve()}")
    if strict and not passed:
        raise typer.Exit(1)
