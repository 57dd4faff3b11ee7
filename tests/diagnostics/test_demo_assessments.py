"""Demo self-assessment rounds: submitted through the services, enough peers to show."""

from io import StringIO

import pytest
from django.core.management import call_command

from diagnostics import selectors
from diagnostics.models import Assessment, Organisation

pytestmark = pytest.mark.django_db


def test_demo_rounds_give_results_and_a_peer_view() -> None:
    call_command("load_demo_assessments", stdout=StringIO())
    frameworks = selectors.frameworks_current()
    host_rounds = Assessment.objects.filter(organisation__is_host=True, status="submitted")
    assert host_rounds.count() == 2 * len(frameworks)
    assert Organisation.objects.filter(is_host=False).count() >= 5
    latest = selectors.latest_host_results()
    assert len(latest) == len(frameworks)
    assert all(item.result.overall.level is not None for item in latest)
    call_command("load_demo_assessments", stdout=StringIO())
    assert host_rounds.count() == 2 * len(frameworks)
