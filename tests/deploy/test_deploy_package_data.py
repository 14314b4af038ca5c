"""What the images install is what the services read: every file a package keeps beside its code
(TOML, JSON, schemas) is in its wheel, and notify, installed from its wheel (not editable), finds
its policy and its sequences and has a production policy table."""

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from tsunagu_notify.domain.policy_config import PolicyConfig

PACKAGES = ("contracts", "shared", "services/profile", "services/scout", "services/messaging",
            "services/events", "services/notify")
NOT_DATA = {".py", ".pyc"}


def build_wheel(package: str, kube, out: Path) -> Path:
    """The wheel pip builds from the package's sources, as the Dockerfile's `pip install ./<package>` does
    (from a copy: setuptools builds in the source folder, which must stay clean)."""
    sources = out.parent / f"src-{package.replace('/', '-')}"
    shutil.copytree(kube.repo / package, sources,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(out),
         str(sources)], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    (wheel,) = out.glob("*.whl")
    return wheel


@pytest.mark.parametrize("package", PACKAGES)
def test_deploy_every_data_file_is_in_the_wheel(package, kube, tmp_path):
    src = kube.repo / package / "src"
    data = {str(p.relative_to(src)) for p in src.rglob("*")
            if p.is_file() and p.suffix not in NOT_DATA and ".egg-info" not in str(p) and "__pycache__" not in str(p)}
    names = set(zipfile.ZipFile(build_wheel(package, kube, tmp_path / "dist")).namelist())
    assert data <= names, f"not in the wheel of {package}: {sorted(data - names)}"


CHECK = """
import json
import sys
from pathlib import Path

import tsunagu_notify
assert Path(tsunagu_notify.__file__).is_relative_to(sys.argv[1]), tsunagu_notify.__file__
from tsunagu_notify.config import NotifySettings, shipped_policy
from tsunagu_notify.domain.journeys.definitions import sequences

tables = shipped_policy()
production = NotifySettings.model_construct(environment="production", policy_file=None).policy()
print(json.dumps({"sequences": len(sequences()), "environments": sorted(tables),
                  "production_attempts": production.max_delivery_attempts,
                  "table_attempts": tables["production"]["max_delivery_attempts"]}))
"""


def test_deploy_notify_reads_its_data_from_the_installed_wheel(kube, tmp_path):
    wheel = build_wheel("services/notify", kube, tmp_path / "dist")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # the unpacked wheel comes first on the path, before the editable install of the checkout
    result = subprocess.run([sys.executable, "-c", CHECK, str(site)], capture_output=True, text=True,
                            env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["sequences"] > 0
    assert "production" in loaded["environments"]
    # the production table is applied, not the defaults
    assert loaded["production_attempts"] == loaded["table_attempts"] != PolicyConfig().max_delivery_attempts
