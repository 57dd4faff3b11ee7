"""factory_boy factories for the rows unit tests build without a service.

Defaults are plain values a test can read; a test that asserts a figure passes the values it
depends on. Rows that a service makes (users, contracts on the register's pages, imports) are
made with that service instead, so its rules run; ``ContractFieldsFactory`` is the dict
``contracts.services.contract_create`` takes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from factory.django import DjangoModelFactory

from contracts.models import AwardedSupplier, Contract
from diagnostics.models import Organisation
from portal import suppliers as supplier_rules
from socialvalue.models import Measure, MeasureProxy, Outcome, Theme


class ContractFieldsFactory(factory.DictFactory):
    """A contract's fields as ``contract_create(contract=...)`` takes them (no supplier)."""

    title = "Contract"
    description = ""
    department = "Adult Services"
    category = ""
    procurement_route = ""
    cpv_code = ""
    award_date = dt.date(2023, 6, 1)
    start_date = dt.date(2023, 7, 1)
    end_date = dt.date(2026, 6, 30)
    review_date = None
    awarded_value = Decimal("100000.00")
    vat_not_recoverable = Decimal("0.00")
    framework = False


def contract_fields(**values: Any) -> dict[str, Any]:
    fields: dict[str, Any] = ContractFieldsFactory.build(**values)
    return fields


class ContractFactory(DjangoModelFactory[Contract]):
    class Meta:
        model = Contract

    reference = factory.Sequence(lambda n: f"TEST-{n:04d}")
    title = factory.LazyAttribute(lambda o: f"Contract {o.reference}")
    department = "Adult Services"
    award_date = dt.date(2023, 4, 1)
    start_date = factory.SelfAttribute("award_date")
    end_date = None
    awarded_value = Decimal("100000.00")


class AwardedSupplierFactory(DjangoModelFactory[AwardedSupplier]):
    class Meta:
        model = AwardedSupplier

    contract = factory.SubFactory(ContractFactory)
    name = factory.Sequence(lambda n: f"Supplier {n} Ltd")
    # The one supplier-name key, as contract_create stores it.
    name_key = factory.LazyAttribute(lambda o: supplier_rules.name_key(o.name))
    postcode = "PR1 2HE"


class ThemeFactory(DjangoModelFactory[Theme]):
    class Meta:
        model = Theme

    code = factory.Sequence(lambda n: f"T{n}")
    title = factory.LazyAttribute(lambda o: f"Theme {o.code}")
    position = factory.Sequence(lambda n: 90 + n)


class OutcomeFactory(DjangoModelFactory[Outcome]):
    class Meta:
        model = Outcome
        django_get_or_create = ("code",)

    theme = factory.SubFactory(ThemeFactory)
    code = factory.LazyAttribute(lambda o: f"{o.theme.code}1")
    title = factory.LazyAttribute(lambda o: f"Outcome of {o.theme.title}")


class MeasureFactory(DjangoModelFactory[Measure]):
    class Meta:
        model = Measure

    outcome = factory.SubFactory(OutcomeFactory)
    code = factory.Sequence(lambda n: f"M{n}.1")
    title = factory.LazyAttribute(lambda o: f"Measure {o.code}")
    unit = "hours"


class MeasureProxyFactory(DjangoModelFactory[MeasureProxy]):
    class Meta:
        model = MeasureProxy

    measure = factory.SubFactory(MeasureFactory)
    valid_from_fy = 2023
    value = Decimal("1.00")


class OrganisationFactory(DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Council {n}")
    kind = Organisation.Kind.COUNCIL
