"""A small Dockerfile linter (hadolint cannot be installed here) and the consistency of the one
Dockerfile (deploy/Dockerfile, built with --build-arg SERVICE=<name>) with each service's package:
built for a service it installs exactly that package and shared/, copies only their metadata and
sources, starts that service, and the build context (.dockerignore) lets those through."""

import fnmatch
import json
import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest

SERVICES = ("profile", "scout", "messaging", "events", "notify")
PINNED_BASE = re.compile(r"^python:3\.11\.\d+-slim-bookworm$")


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def stages(steps):
    """The stages: lists of steps, each starting with its FROM (global ARGs before it left out)."""
    found = []
    for keyword, args in steps:
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, args))
    return found


def global_args(steps) -> dict[str, str]:
    """The ARGs declared before the first FROM, with their defaults: what a FROM line may name."""
    defaults = {}
    for keyword, args in steps:
        if keyword == "FROM":
            break
        if keyword == "ARG":
            name, _, default = args.partition("=")
            defaults[name] = default
    return defaults


def base_image(from_args: str, steps) -> str:
    """The image a FROM line names, a global ARG replaced by its default."""
    image = from_args.split()[0]
    for name, default in global_args(steps).items():
        image = image.replace(f"${{{name}}}", default)
    return image


def dockerfile(repo: Path) -> Path:
    return repo / "deploy" / "Dockerfile"


def built_for(steps, service: str, package_dir: str | None = None) -> list[tuple[str, str]]:
    """The steps as the builder runs them for one service (its build arguments substituted:
    PACKAGE_DIR defaults to services/<service>; the console's is console)."""
    package_dir = package_dir or f"services/{service}"
    return [(keyword, args.replace("${PACKAGE_DIR}", package_dir).replace("${SERVICE}", service))
            for keyword, args in steps]


def lint(steps) -> list[str]:
    """What a reviewer would reject in a service's Dockerfile."""
    problems = []
    all_stages = stages(steps)
    if len(all_stages) < 2:
        problems.append("not multi-stage")
    for keyword, args in steps:
        problems += _step_problems(keyword, args, steps)
    final = all_stages[-1] if all_stages else []
    users = [args for keyword, args in final if keyword == "USER"]
    if not users or not re.fullmatch(r"[1-9]\d{3,}(:[1-9]\d{3,})?", users[-1]):
        problems.append(f"final stage must run as a numeric non-root USER: {users}")
    if not any(keyword == "HEALTHCHECK" and "/healthz" in args for keyword, args in final):
        problems.append("no HEALTHCHECK on /healthz in the final stage")
    if any(keyword == "COPY" and "--from=" not in args for keyword, args in final):
        problems.append("the final stage copies sources: only the built venv belongs there")
    if not any(keyword in ("ENTRYPOINT", "CMD") for keyword, _ in final):
        problems.append("no ENTRYPOINT")
    return problems


def _step_problems(keyword: str, args: str, steps) -> list[str]:
    """What is wrong with one instruction on its own."""
    problems = []
    if keyword == "FROM":
        image = base_image(args, steps)
        if not PINNED_BASE.match(image):
            problems.append(f"base not pinned to python:3.11.<patch>-slim-bookworm: {image}")
        if image.endswith(":latest") or ":" not in image:
            problems.append(f"unpinned base: {image}")
    if keyword == "RUN" and re.search(r"\bpip3? install\b", args) and "--no-cache-dir" not in args:
        problems.append(f"pip install without --no-cache-dir: {args}")
    if keyword == "RUN" and re.search(r"apt-get install", args) and "--no-install-recommends" not in args:
        problems.append(f"apt-get install without --no-install-recommends: {args}")
    if keyword == "ADD":
        problems.append("ADD: use COPY")
    if keyword == "COPY" and re.match(r"^\.\s", args):
        problems.append("COPY of the whole context")
    return problems


def test_deploy_dockerfile_passes_the_lint(kube):
    assert lint(instructions(dockerfile(kube.repo))) == []


def test_deploy_dockerfile_serves_every_service_of_the_repository(kube):
    found = {p.parent.name for p in (kube.repo / "services").glob("*/pyproject.toml")}
    assert found == set(SERVICES)
    steps = instructions(dockerfile(kube.repo))
    for stage in stages(steps):  # the build argument is declared in both stages
        assert ("ARG", "SERVICE") in stage


def test_deploy_dockerfile_lint_rejects_what_it_should(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nCOPY . .\nRUN pip install .\nUSER root\nCMD [\"python\"]\n")
    unpinned = tmp_path / "Dockerfile.arg"
    unpinned.write_text("ARG BASE=python:3.11-slim\nFROM ${BASE}\nRUN true\nFROM ${BASE}\nUSER 10001\n")
    assert any("base not pinned" in p for p in lint(instructions(unpinned)))
    problems = lint(instructions(bad))
    assert any("not multi-stage" in p for p in problems)
    assert any("unpinned base" in p for p in problems)
    assert any("--no-cache-dir" in p for p in problems)
    assert any("whole context" in p for p in problems)
    assert any("numeric non-root USER" in p for p in problems)
    assert any("HEALTHCHECK" in p for p in problems)


def local_dependencies(pyproject: Path) -> set[str]:
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    names = {re.split(r"[\s<>=!~\[;]", d, maxsplit=1)[0] for d in deps}
    return {n for n in names if n.startswith("tsunagu-")}


@pytest.mark.parametrize("service", SERVICES)
def test_deploy_dockerfile_installs_exactly_the_service_shared_and_contracts(service, kube):
    steps = built_for(instructions(dockerfile(kube.repo)), service)
    project = tomllib.loads((kube.repo / "services" / service / "pyproject.toml").read_text())["project"]
    assert project["name"] == f"tsunagu-{service}"
    # the only repository package a service may need is shared (no service imports another),
    # which needs the contracts package and nothing else of the repository
    assert local_dependencies(kube.repo / "services" / service / "pyproject.toml") == {"tsunagu-shared"}
    assert local_dependencies(kube.repo / "shared" / "pyproject.toml") == {"tsunagu-contracts"}
    assert local_dependencies(kube.repo / "contracts" / "pyproject.toml") == set()

    installs = [shlex.split(args) for keyword, args in steps if keyword == "RUN" and "pip install" in args]
    # contracts and shared first, in a layer every service's image shares, then the service itself
    assert [{a for a in install if a.startswith("./")} for install in installs] == [
        {"./contracts", "./shared"}, {f"./services/{service}"}]

    copies = {tuple(shlex.split(args)) for keyword, args in steps if keyword == "COPY" and "--from=" not in args}
    assert copies == {
        ("contracts/pyproject.toml", "contracts/pyproject.toml"),
        ("contracts/README.md", "contracts/README.md"),
        ("contracts/src", "contracts/src"),
        ("shared/pyproject.toml", "shared/pyproject.toml"),
        ("shared/src", "shared/src"),
        (f"services/{service}/pyproject.toml", f"services/{service}/pyproject.toml"),
        (f"services/{service}/src", f"services/{service}/src"),
    }
    (entrypoint,) = [args for keyword, args in steps if keyword == "ENTRYPOINT"]
    env = " ".join(args for keyword, args in steps if keyword == "ENV")
    assert f"TSUNAGU_SERVICE={service}" in env  # what the entrypoint starts: python -m tsunagu_<service>
    shell, flag, command = json.loads(entrypoint)
    assert (shell, flag) == ("/bin/sh", "-c") and command.startswith("exec python ")  # exec: the service is PID 1
    expanded = subprocess.run([shell, flag, "echo " + command.removeprefix("exec ")], capture_output=True, text=True,
                              env={"TSUNAGU_SERVICE": service}, check=True).stdout.split()
    assert expanded == ["python", "-m", f"tsunagu_{service}"]
    assert (kube.repo / "services" / service / "src" / f"tsunagu_{service}" / "__main__.py").is_file()
    assert "TSUNAGU_HTTP_HOST=0.0.0.0" in env and "TSUNAGU_HTTP_PORT=8080" in env
    assert "EXPOSE" in dict(steps) and dict(steps)["EXPOSE"] == "8080"


def ignored(patterns: list[str], path: str) -> bool:
    """Docker's rule: the last pattern that matches the path or one of its parents decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    verdict = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        glob = pattern.replace("**/", "*/") if pattern.startswith("**/") else pattern
        matches = any(fnmatch.fnmatchcase(c, glob) or (pattern.startswith("**/")
                      and fnmatch.fnmatchcase(c.split("/")[-1], pattern[3:])) for c in candidates)
        if matches:
            verdict = not negate
    return verdict


def test_deploy_dockerignore_lets_through_only_what_the_images_copy(kube):
    lines = (kube.repo / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for service in SERVICES:
        for keyword, args in built_for(instructions(dockerfile(kube.repo)), service):
            if keyword == "COPY" and "--from=" not in args:
                source = shlex.split(args)[0]
                assert not ignored(patterns, source), f"{source} is excluded from the build context"
    for private in (".cache/venv/bin/python", ".git/config", "services/profile/tests/unit/x.py", "docs/operations.md",
                    "shared/src/tsunagu_shared/__pycache__/app.cpython-311.pyc"):
        assert ignored(patterns, private), f"{private} would be sent to the builder"
