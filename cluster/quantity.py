"""Kubernetes resource quantities (`100m`, `2`, `512Mi`, `1G`) as plain numbers."""
from __future__ import annotations

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}


def parse_quantity(text: str | int | float) -> float:
    if isinstance(text, (int, float)):
        return float(text)
    text = str(text).strip()
    for suffix, factor in _BINARY.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    for suffix in sorted(_DECIMAL, key=len, reverse=True):
        if suffix and text.endswith(suffix):
            return float(text[: -len(suffix)]) * _DECIMAL[suffix]
    return float(text or 0)


def parse_cpu(text) -> float:
    """CPU in cores: `250m` -> 0.25."""
    return parse_quantity(text)


def parse_memory(text) -> float:
    """Memory in bytes: `64Mi` -> 67108864."""
    return parse_quantity(text)
