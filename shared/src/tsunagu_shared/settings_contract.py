"""What production requires of a service's settings (docs/settings.md, "Production").

A setting is marked by what it holds, in its settings class:

- `SECRET`: a credential. In production it must differ from its development default (a secret
  whose default is None is optional: unset is allowed, an empty string is not).
- `ADDRESS`: where another system lives (a URL, a host, a bootstrap list). In production it must
  name no host of this machine (localhost, loopback, 0.0.0.0) and no placeholder domain
  (`.example`, `.invalid`).
- `REQUIRED`: not secret, but its default only fits development (the emulators' sender number);
  in production it must be set to something else.
- `DEVELOPMENT_ONLY`: a switch for development and tests; production must keep its default.

With `TSUNAGU_ENVIRONMENT=production`, a settings object that breaks one of these rules is
refused when it is built, so the service never starts, and the error names each setting.
"""

import ipaddress
from dataclasses import dataclass
from typing import Any

from pydantic.fields import FieldInfo

PRODUCTION = "production"
ENV_PREFIX = "TSUNAGU_"
# RFC 2606 / 6761 names: this machine, or documentation placeholders (tsunagu.example)
LOCAL_NAMES = ("localhost", "example", "invalid", "example.com", "example.net", "example.org")
LOCAL_SUFFIXES = tuple(f".{name}" for name in LOCAL_NAMES)


@dataclass(frozen=True)
class Kind:
    """A mark on a settings field (`Annotated[str, SECRET]`)."""

    name: str


SECRET = Kind("secret")
ADDRESS = Kind("address")
REQUIRED = Kind("required")
DEVELOPMENT_ONLY = Kind("development only")


def kinds(field: FieldInfo) -> set[Kind]:
    return {m for m in field.metadata if isinstance(m, Kind)}


def env_name(field_name: str) -> str:
    return f"{ENV_PREFIX}{field_name.upper()}"


def hosts(address: str) -> list[str]:
    """The hosts an address names: a URL (`scheme://user:pw@h1:1,h2:2/path?q`) or a bootstrap
    list (`h1:9092,h2:9092`)."""
    rest = address.split("://", 1)[-1]
    authority = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    found = []
    for entry in filter(None, (e.strip() for e in authority.split(","))):
        if entry.startswith("["):  # [::1]:9092
            found.append(entry[1:].split("]", 1)[0])
        elif entry.count(":") > 1:  # a bare IPv6 address
            found.append(entry)
        else:
            found.append(entry.split(":", 1)[0])
    return found


def local_or_placeholder(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "" or host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def production_problems(settings: Any) -> list[str]:
    """Each marked setting that production refuses, as `TSUNAGU_X: why`."""
    problems = []
    for name, field in type(settings).model_fields.items():
        marks = kinds(field)
        if not marks:
            continue
        value = getattr(settings, name)
        env = env_name(name)
        if SECRET in marks and value is not None and (str(value) == "" or value == field.default):
            problems.append(f"{env}: still the development default; set it from a Secret")
        if REQUIRED in marks and value == field.default:
            problems.append(f"{env}: still the development default ({field.default!r})")
        if ADDRESS in marks and value is not None:
            bad = [h for h in hosts(str(value)) if local_or_placeholder(h)] or ([] if hosts(str(value)) else [""])
            if bad:
                problems.append(f"{env}: names a local or placeholder host ({', '.join(repr(h) for h in bad)})")
        if DEVELOPMENT_ONLY in marks and value != field.default:
            problems.append(f"{env}: for development and tests only; production keeps {field.default!r}")
    return problems


class ProductionSettingsRefused(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("refused to start in production:\n  " + "\n  ".join(problems))
        self.problems = problems
