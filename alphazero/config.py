"""Typed configuration: frozen dataclasses with defaults in code, overrides from TOML and `key=value`.

Unknown keys and impossible values are one-line `ConfigError`s naming the dotted key. The resolved
config is a plain dict (`to_dict`) saved next to every run's outputs.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A config key that does not exist or a value that is not allowed."""


def _field_types(cls) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {field.name: hints[field.name] for field in dataclasses.fields(cls)}


def _coerce(value: Any, kind: Any, key: str) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(value, option, key)
            except ConfigError as error:
                errors.append(str(error))
        raise ConfigError(errors[0] if errors else f"{key}: bad value {value!r}")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        (item,) = typing.get_args(kind)[:1]
        return tuple(_coerce(v, item, f"{key}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(kind):
        if isinstance(value, kind):
            return value
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a table of settings, got {value!r}")
        return from_dict(kind, value, prefix=f"{key}.")
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    if kind is int:
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        ):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        return int(value)
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return value
    return value


def from_dict(cls, data: dict[str, Any], prefix: str = ""):
    """Build the dataclass ``cls`` from ``data``; missing keys keep their defaults. A class with a
    ``with_profile(data)`` hook (`TrainConfig`) first lays ``data`` over its profile's settings."""
    if hasattr(cls, "with_profile") and isinstance(data, dict):
        data = cls.with_profile(data)
    kinds = _field_types(cls)
    unknown = sorted(set(data) - set(kinds))
    if unknown:
        raise ConfigError(
            f"unknown config key '{prefix}{unknown[0]}'; allowed under "
            f"'{prefix.rstrip('.') or 'top level'}': {', '.join(sorted(kinds))}"
        )
    values = {name: _coerce(value, kinds[name], f"{prefix}{name}") for name, value in data.items()}
    try:
        return cls(**values)
    except ConfigError as error:
        message = str(error)
        if prefix and not message.startswith(prefix):
            message = prefix + message
        raise ConfigError(message) from None


def to_dict(config) -> dict[str, Any]:
    """A TOML/JSON-friendly dict of a config dataclass (tuples become lists)."""

    def convert(value):
        if dataclasses.is_dataclass(value):
            return {f.name: convert(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, tuple | list):
            return [convert(v) for v in value]
        return value

    return convert(config)


def parse_value(text: str) -> Any:
    """Parse the right-hand side of ``--set key=value`` as a TOML value, else as a bare string."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def set_dotted(data: dict[str, Any], dotted_key: str, value: Any) -> None:
    """``set_dotted(d, "search.num_simulations", 8)`` sets ``d["search"]["num_simulations"] = 8``."""
    parts = dotted_key.split(".")
    node = data
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{dotted_key}: '{part}' is a value, not a table of settings")
        node = child
    node[parts[-1]] = value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``key=value`` strings (dotted keys, TOML values) to a nested dict, in order."""
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects key=value, got {item!r}")
        set_dotted(data, key.strip(), parse_value(text.strip()))
    return data


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file; a missing file or a syntax error is one line naming the file."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path}: {error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not a TOML file (not UTF-8 text)") from None


def require(condition: bool, message: str) -> None:
    """Raise a `ConfigError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ConfigError(message)


def choice(value: str, allowed: tuple[str, ...], key: str) -> None:
    require(value in allowed, f"{key} must be one of {', '.join(allowed)}; got {value!r}")
