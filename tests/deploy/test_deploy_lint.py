"""The linter (kube-score, configured by deploy/kube-score.yaml) finds nothing in either overlay."""

import subprocess

import pytest
import yaml


def kube_score_args(config: dict, overlay: str) -> list[str]:
    args = ["score", "--kubernetes-version", config["kubernetes_version"], "--exit-one-on-warning",
            "--output-format", "ci", "--color", "never"]
    for test in config["enable_optional_tests"]:
        args += ["--enable-optional-test", test]
    replicas = str(config["min_replicas"][overlay])
    return [*args, "--min-replicas-deployment", replicas, "--min-replicas-hpa", replicas, "-"]


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_deploy_linter_finds_nothing(overlay, built, kube):
    config = yaml.safe_load((kube.deploy / "kube-score.yaml").read_text())
    assert not set(config["enable_optional_tests"]) & set(config["not_enabled"])
    result = subprocess.run([str(kube.tool("kube-score")), *kube_score_args(config, overlay)],
                            input=built[overlay], capture_output=True, text=True, timeout=120, check=False)
    findings = [line for line in result.stdout.splitlines() if line.startswith(("[WARNING]", "[CRITICAL]"))]
    assert result.returncode == 0 and not findings, "\n".join(findings) or result.stderr
    assert "[OK]" in result.stdout, "the linter checked nothing"


def test_deploy_linter_catches_a_writable_root_filesystem(built, kube):
    """The lint gate can fail: a container with a writable root filesystem is reported."""
    config = yaml.safe_load((kube.deploy / "kube-score.yaml").read_text())
    broken = built["prod"].replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", 1)
    result = subprocess.run([str(kube.tool("kube-score")), *kube_score_args(config, "prod")],
                            input=broken, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode != 0 and "[CRITICAL]" in result.stdout
