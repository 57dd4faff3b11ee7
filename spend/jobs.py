"""Spend's job handlers that are not imports (portal.apps autodiscovers ``jobs`` modules)."""

from typing import Any

from django.urls import reverse

from portal.jobs import Progress, job_handler
from portal.models import Job
from spend import services


@job_handler(services.RECLASSIFY_JOB_KIND)
def locality_reclassify(job: Job, progress: Progress) -> dict[str, Any]:
    result = services.sites_reclassify(progress=progress)
    return {
        **result,
        "url": reverse("spend:locality"),
        "link_text": "See spend by locality",
    }
