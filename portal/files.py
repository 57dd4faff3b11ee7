"""Files a job keeps for people to download from the reports centre (reports, big spreadsheets).

They live under ``MEDIA_ROOT/reports/<job id>/``, which every web server and worker shares.
"""

from pathlib import Path
from typing import Any

from django.conf import settings


def reports_folder(job_id: int) -> Path:
    folder = Path(settings.MEDIA_ROOT) / "reports" / str(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def kept_file(path: Path, label: str) -> dict[str, Any]:
    """A file a report job keeps (in its reports_folder), as its result lists it for the
    reports centre's download link."""
    return {
        "name": path.name,
        "path": str(path.relative_to(settings.MEDIA_ROOT)),
        "size": path.stat().st_size,
        "label": label,
    }
