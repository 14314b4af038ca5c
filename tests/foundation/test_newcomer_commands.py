"""What the README promises a newcomer about the commands: `make demo` and `make up` skip the
deployment checks' tools, `make test` builds them; the console's port is in the port table."""

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(target: str) -> str:
    return subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_make_demo_and_up_skip_the_deployment_tools_and_make_test_builds_them():
    for target in ("demo", "up"):
        assert "TSUNAGU_INSTALL_DEPLOY_TOOLS=0 bash scripts/install.sh" in _dry_run(target), target
    assert "bash scripts/test.sh" in _dry_run("test")
    test_script = (ROOT / "scripts/test.sh").read_text()
    assert "bash scripts/install.sh" in test_script and "TSUNAGU_INSTALL_DEPLOY_TOOLS" not in test_script
    # install.sh itself, run as each command runs it (everything is installed already: it only checks)
    assert "scripts/install_deploy_tools.sh" not in _extras_run(TSUNAGU_INSTALL_DEPLOY_TOOLS="0")
    assert "scripts/install_deploy_tools.sh" in _extras_run()


def _extras_run(**env: str) -> list[str]:
    """The helper scripts install.sh ran (from its trace)."""
    run = subprocess.run(["bash", "-x", "scripts/install.sh"], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=600, check=True)
    return re.findall(r"^\+ bash (scripts/install_\w+\.sh)$", run.stderr, re.M)


def test_the_port_table_names_the_console_where_the_stack_starts_it():
    stack = (ROOT / "scripts/stack.py").read_text()
    assert re.search(r'table\["console"\] = Process\(\s*"console", \[[^\]]*\], PORT_BASE,', stack)
    assert re.search(r"PORT_BASE = env_int\(\"TSUNAGU_PORT_BASE\", 8000\)", stack)
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"^\| recruiter console .*\| 8000 ", readme, re.M)
