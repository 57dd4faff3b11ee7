"""Job kinds only the security tests use; a test worker loads them with ``--include``."""

import os
import signal
from typing import Any

from portal.jobs import Progress, job_handler
from portal.models import Job

KILL_WORKER = "tests.kill-worker"


@job_handler(KILL_WORKER)
def kill_worker(job: Job, progress: Progress) -> dict[str, Any]:
    """Stands for a file that takes the worker down (out of memory): the process dies."""
    progress(10, "About to take the worker down.")
    os.kill(os.getpid(), signal.SIGKILL)
    return {}
