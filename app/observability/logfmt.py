"""key=value ("logfmt") log lines, so log shippers (Loki, Vector, grep) can pick out gate, seq and task ids."""

from __future__ import annotations


def _value(value: object) -> str:
    text = f"{value:.1f}" if isinstance(value, float) else str(value)
    if text == "" or any(ch in text for ch in ' "=\\\n\t'):
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    return text


def logfmt(event: str, **fields: object) -> str:
    """One log message: event=<event> then each field as key=value (quoted when needed; None fields left out)."""
    parts = [f"event={_value(event)}"]
    parts += [f"{key}={_value(value)}" for key, value in fields.items() if value is not None]
    return " ".join(parts)
