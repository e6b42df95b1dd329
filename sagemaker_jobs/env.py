"""Typed values from the environment, for the containers' settings objects."""

from collections.abc import Mapping


def int_from_env(environ: Mapping[str, str], name: str, default: int) -> int:
    """`environ[name]` as an int, `default` when unset or empty; a clear error when not a number."""
    value = environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None
