"""Running the synchronous ORM and store from the async views.

Views and watch streams run on daphne's event loop; every database touch goes to a worker
thread (`thread_sensitive=False`), so API requests neither block the loop nor queue behind the
embedded controllers, which own the one thread-sensitive thread. `database_sync_to_async`
closes stale connections around each call, as Django does around a request.
"""
from __future__ import annotations

from typing import Awaitable, Callable, ParamSpec, TypeVar

from channels.db import database_sync_to_async

P = ParamSpec("P")
R = TypeVar("R")


def in_thread(fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    return database_sync_to_async(fn, thread_sensitive=False)
