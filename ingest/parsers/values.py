"""Reading untrusted tool output: every access is type-checked, nothing raises.

Shared by the parsers so that "a value of the wrong type is absent" means the same thing in
every format."""

from __future__ import annotations

from typing import Any


def decode_text(data: bytes) -> tuple[str, list[str]]:
    """UTF-8 text, with undecodable bytes replaced (and a warning saying so): captures carry
    binary FRU bytes and pasted prompts, which must not cost the rest of the output."""
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), ["output is not valid UTF-8; undecodable bytes replaced"]


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def as_raw(value: Any) -> str:
    """Serials stay exactly as printed ("S456NY0M400233      "); normalisation is later."""
    return value if isinstance(value, str) else ""


def as_int(value: Any) -> int | None:
    """Integers, integral floats and digit strings; booleans are not numbers here."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
