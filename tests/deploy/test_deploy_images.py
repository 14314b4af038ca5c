"""The images are built and started for real (scripts/deploy_check.py): every service's image from
deploy/Dockerfile, run as the prod overlay runs it against the test stack, answering /healthz,
/readyz and an authenticated request. Skipped, with the reason, where no container engine can run."""

import os
import subprocess
import sys

import pytest

SKIPPED = 77


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_deploy_images_build_and_start_as_the_prod_overlay_runs_them(kube):
    if "TSUNAGU_KAFKA_BOOTSTRAP" not in os.environ:
        pytest.skip("the deploy check needs the test stack: run it through make test (scripts/test.sh)")
    result = subprocess.run([sys.executable, str(kube.repo / "scripts" / "deploy_check.py")], cwd=kube.repo,
                            capture_output=True, text=True, timeout=1800, check=False)
    output = result.stdout + result.stderr
    if result.returncode == SKIPPED:
        reason = next((line for line in output.splitlines() if "SKIPPED" in line), output[-500:])
        pytest.skip(f"no container engine can run here: {reason}")
    assert result.returncode == 0, output[-20000:]
    timings = [line for line in output.splitlines() if line.startswith("deploy-check timings")]
    print(*timings, sep="\n")  # shown with -rA / -s: how long the engine, builds and checks took
