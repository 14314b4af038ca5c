"""`make bench`: run every benchmark against the bench stack and write the figures to
bench/results/ (JSON and a markdown table, with the date and the machine).

    .cache/venv/bin/python bench/run.py [policy decisions notify delivery profile search lists csv memory blobs]

Each benchmark compares with a baseline measured in the same run, on the same broker and
database. Sizes come from BENCH_* variables (see each module); defaults fit a shared 2-core box.
"""

import asyncio
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

BENCHMARKS = {"policy": "bench_policy", "decisions": "bench_decisions", "notify": "bench_notify",
              "delivery": "bench_delivery", "profile": "bench_profile", "search": "bench_search",
              "lists": "bench_lists", "csv": "bench_csv",
              "memory": "bench_memory", "blobs": "bench_blobs"}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                          if line.startswith("MemTotal")))
    load = os.getloadavg()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory_kib / 1024 ** 2, 1),
            "os": platform.platform(), "python": platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in load],
            "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                     cwd=HERE).stdout.strip()}


def fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [f"# Tsunagu benchmarks — {result['date']}", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, Python {m['python']}, "
             f"commit {m['commit']}; load average at start {m['load_average_at_start']} (shared machine)."
             + (f" {result['note']}" if result.get("note") else ""), "",
             "| benchmark | figure | value | unit | baseline (same run) | baseline value | ratio | target | met |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in result["figures"]:
        lines.append(f"| {r['benchmark']} | {r['figure']} | {fmt(r['value'])} | {r['unit']} | "
                     f"{r['baseline_name'] or '—'} | {fmt(r['baseline'])} | {fmt(r['ratio'])} | "
                     f"{r['target'] or '—'} | {fmt(r['meets_target'])} |")
    lines += ["", *[f"- re-run on {r['date']}: {', '.join(r['benchmarks'])}"
                    + (f" (commit {r['commit']}, load average at start {r['load_average_at_start']})"
                       if r.get("commit") else "") + (f"; {r['note']}" if r.get("note") else "")
                    for r in result.get("reruns", [])]]
    lines += [*[f"- {name}: failed: {error}" for name, error in result["errors"].items()]]
    return "\n".join(lines) + "\n"


def module_of(row: dict) -> str:
    """Which benchmark module produced a row (rows of older files carry no "module")."""
    if "module" in row:
        return row["module"]
    owners = {"policy engine": "policy", "notify pipeline": "notify", "notify delivery": "delivery",
              "profile API": "profile", "CSV import": "csv", "recruiter search": "search", "lists": "lists",
              "sweeps": "lists"}
    if row["benchmark"] in owners:
        return owners[row["benchmark"]]
    service = row["figure"].split()[0]
    return {"notify": "notify", "profile": "profile", "scout": "csv"}.get(service, "memory")


def merge_earlier_run(path: Path, result: dict, ran: list[str]) -> None:
    """Running some benchmarks again the same day replaces only their figures in that day's file;
    a run of every benchmark replaces the file (its date, machine and load are this run's)."""
    if not path.exists() or set(ran) >= set(BENCHMARKS):
        return
    earlier = json.loads(path.read_text())
    kept = [row for row in earlier["figures"] if module_of(row) not in ran]
    result["figures"] = kept + result["figures"]
    result["errors"] = {**{k: v for k, v in earlier.get("errors", {}).items() if k not in ran}, **result["errors"]}
    result["seconds"] = {**earlier.get("seconds", {}), **result["seconds"]}
    result["reruns"] = [*earlier.get("reruns", []), {
        "date": result["date"], "benchmarks": ran, "commit": result["machine"]["commit"],
        "load_average_at_start": result["machine"]["load_average_at_start"]}]
    result["date"], result["machine"] = earlier["date"], earlier["machine"]


async def main(names: list[str]) -> int:
    result = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
              "figures": [], "errors": {}, "seconds": {}}
    for name in names or list(BENCHMARKS):
        module = importlib.import_module(BENCHMARKS[name])
        started = time.monotonic()
        print(f"== {name}", flush=True)
        try:
            figures = await module.run()
        except Exception as exc:  # report and go on with the next benchmark
            result["errors"][name] = f"{type(exc).__name__}: {exc}"
            print(f"   failed: {exc!r}", flush=True)
            continue
        finally:
            result["seconds"][name] = round(time.monotonic() - started, 1)
        for figure in figures:
            row = {**figure.row(), "module": name}
            result["figures"].append(row)
            ratio = (f"  ratio {row['ratio']:.3f} vs {row['baseline_name']} ({fmt(row['baseline'])})"
                     if row["ratio"] else "")
            print(f"   {row['figure']}: {fmt(row['value'])} {row['unit']}{ratio}", flush=True)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    stamp = result["date"][:10]
    merge_earlier_run(out / f"{stamp}.json", result, names or list(BENCHMARKS))
    (out / f"{stamp}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (out / f"{stamp}.md").write_text(markdown(result))
    (out / "latest.md").write_text(markdown(result))
    print(f"written: {out / (stamp + '.json')}, {out / (stamp + '.md')}", flush=True)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
