"""The job registry: which service runs a job of each kind.

An app registers a handler with ``@job_handler("spend.import")`` in its ``jobs.py``
(autodiscovered, with ``services.py``, where only ``portal.housekeeping`` stays); the one
Celery task (``portal.tasks.run_job``) looks the kind up here. Handlers receive the Job and
a ``Progress`` to report through, and return a JSON-able result dict.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from portal.models import Job


class Progress(Protocol):
    def __call__(self, percent: int, message: str = "") -> None: ...


JobHandler = Callable[["Job", Progress], dict[str, Any]]

_HANDLERS: dict[str, JobHandler] = {}


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    def register(handler: JobHandler) -> JobHandler:
        if kind in _HANDLERS and _HANDLERS[kind] is not handler:
            raise RuntimeError(f"Two services claim job kind {kind!r}.")
        _HANDLERS[kind] = handler
        return handler

    return register


def handler_for(kind: str) -> JobHandler:
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise LookupError(f"No service is registered for jobs of kind {kind!r}.") from None


class JobFailed(Exception):
    """Raised by a service to fail its job with a message meant for the person who started it."""
