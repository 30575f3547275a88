"""Strict loading of the YAML data files: unknown keys and wrong types are errors.

NeMo Guardrails' schema silently ignores unknown keys, so a misspelt threshold never applies.
Here every mapping is checked against the fields its dataclass declares, and the error names
the file and the path to the bad key, so a reviewer who edits YAML by hand sees what is wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class PolicyError(ValueError):
    """A policy, response or resource file is missing, unreadable or invalid."""


def load_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError as exc:
        raise PolicyError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from exc


def check_keys(
    where: str, data: Any, required: set[str], optional: set[str] = frozenset()
) -> dict[str, Any]:
    """Return data if it is a mapping with all required keys and no others."""
    if not isinstance(data, dict):
        raise PolicyError(f"{where}: expected a mapping, got {type(data).__name__}")
    missing = required - data.keys()
    if missing:
        raise PolicyError(f"{where}: missing key(s) {', '.join(sorted(missing))}")
    unknown = data.keys() - required - set(optional)
    if unknown:
        allowed = ", ".join(sorted(required | set(optional)))
        raise PolicyError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (allowed: {allowed})")
    return data


def expect(where: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise PolicyError(f"{where}: expected {names}, got {type(value).__name__}")
    return value


def string_list(where: str, value: Any) -> tuple[str, ...]:
    expect(where, value, list)
    for i, item in enumerate(value):
        expect(f"{where}[{i}]", item, str)
    return tuple(value)
