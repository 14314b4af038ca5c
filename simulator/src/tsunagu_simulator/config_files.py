"""Policy configurations for a run: notify's own policy file, or an operator's what-if TOML."""

import tomllib
from pathlib import Path

from tsunagu_notify.config import shipped_policy
from tsunagu_notify.domain.policy_config import PolicyConfig


def load(path: Path | None = None, *, environment: str = "production") -> PolicyConfig:
    """A PolicyConfig from a TOML file: top-level keys, or the table of `environment`
    (notify's policy.toml layout). Without a path: notify's file for `environment`."""
    if path is None:
        tables = shipped_policy()
    elif not Path(path).is_file():
        return PolicyConfig()
    else:
        tables = tomllib.loads(Path(path).read_text())
    if environment in tables and isinstance(tables[environment], dict):
        tables = tables[environment]
    return PolicyConfig.model_validate(tables)
