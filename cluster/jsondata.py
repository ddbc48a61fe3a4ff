"""Plain JSON data helpers shared by the models, the store and the (pure) planners."""
from __future__ import annotations


def copy_json(value):
    """A deep copy of plain JSON data (dicts, lists, scalars): several times faster than deepcopy."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value


class ViewMemo:
    """Results worked out from shared read-only values (`cluster.reading` views), remembered
    while those values are the very same objects: an unchanged node or pod is not worked out
    again in the next pass. Holds the values it was given, so their ids cannot be reused."""

    def __init__(self, limit: int = 100_000):
        self.limit = limit
        self._found: dict[tuple, tuple] = {}

    def get(self, parts: tuple, compute, extra: tuple = ()):
        key = (*map(id, parts), *extra)
        found = self._found.get(key)
        if found is None or any(a is not b for a, b in zip(found[0], parts)):
            if len(self._found) >= self.limit:
                self._found.clear()
            found = self._found[key] = (parts, compute())
        return found[1]
