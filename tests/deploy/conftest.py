"""Fixtures of the deployment checks: the repo's paths, the offline tools, each overlay built once."""

import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
TOOLS = REPO / ".cache" / "bin"
OVERLAYS = ("dev", "prod")
SERVICES = ("profile", "scout", "messaging", "events", "notify")


def tool(name: str) -> Path:
    """The path of a tool built by scripts/install_deploy_tools.sh; a missing tool fails, never skips."""
    path = TOOLS / name
    assert path.is_file(), f"{path} is missing: run scripts/install_deploy_tools.sh"
    return path


def kustomize_build(overlay: str) -> str:
    result = subprocess.run(
        [str(tool("kustomize")), "build", str(DEPLOY / "overlays" / overlay)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, f"kustomize build {overlay} failed:\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="session")
def built() -> dict[str, str]:
    """overlay -> the YAML `kustomize build` prints."""
    return {overlay: kustomize_build(overlay) for overlay in OVERLAYS}


@pytest.fixture(scope="session")
def resources(built) -> dict[str, list[dict]]:
    """overlay -> its resources, parsed."""
    return {overlay: [d for d in yaml.safe_load_all(text) if d] for overlay, text in built.items()}


def find(docs: list[dict], kind: str, name: str | None = None) -> list[dict]:
    return [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def one(docs: list[dict], kind: str, name: str) -> dict:
    found = find(docs, kind, name)
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


class Deploy:
    """What the deployment tests share (a fixture: test modules cannot import conftest)."""

    repo = REPO
    deploy = DEPLOY
    overlays = OVERLAYS
    services = SERVICES
    tool = staticmethod(tool)
    find = staticmethod(find)
    one = staticmethod(one)


@pytest.fixture(scope="session")
def kube() -> Deploy:
    return Deploy()
