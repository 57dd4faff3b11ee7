"""Two items of issue 19 that had no test of their own: "Upload" with no file says so at the
file box (and nothing is imported), and a new contract starts as a draft."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from contracts.models import Contract
from spend.models import ImportBatch
from tests.html import Page

pytestmark = pytest.mark.django_db


def test_upload_with_no_file_says_so_at_the_file_box(client: Client, administrator) -> None:
    client.force_login(administrator)
    response = client.post(reverse("spend:imports"), {"layout": "auto"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Select a file to upload" in html
    summary = re.search(r'<a href="#([^"]+)">Select a file to upload</a>', html)
    assert summary is not None  # the error summary links to the box
    box = re.search(rf'<input[^>]*id="{summary.group(1)}"[^>]*>', html)
    assert box is not None
    assert f"{summary.group(1)}-error" in box.group(0)  # tied by aria-describedby
    assert ImportBatch.objects.count() == 0


def test_a_new_contract_starts_as_a_draft(client: Client, officer) -> None:
    client.force_login(officer)
    page = Page(client.get(reverse("contracts:create")).content)
    [status] = [s for s in page.find_all("select") if s.get("name") == "status"]
    chosen = [o for o in page.find_all("option", status) if o.get("selected") is not None]
    assert [o.get("value") for o in chosen] == [Contract.Status.DRAFT]
