"""The dashboards before any import (apart from test_dashboards.py, whose tests share one
imported ledger for the whole module)."""

import pytest
from django.test import Client

from tests.spend.test_dashboards import DASHBOARDS, page, text_of

pytestmark = pytest.mark.django_db


def test_empty_ledger_pages_say_so(client: Client, officer: object) -> None:
    client.force_login(officer)  # type: ignore[arg-type]
    for url in [*DASHBOARDS, "/spend/transparency/"]:
        assert client.get(url).status_code == 200, url
    assert "no payments yet" in text_of(page(client, "/spend/"))
