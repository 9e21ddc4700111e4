"""factory-boy factories for every model: lean (no optional relations unless asked), no
import-time now() (times are explicit or set by the database)."""

from __future__ import annotations

from datetime import UTC, datetime

import factory
from django.contrib.auth import get_user_model

from registry.choices import AssetStatus, ComponentClass, LocationKind
from registry.models import (
    Asset,
    Component,
    Customer,
    Installation,
    Location,
    Lot,
    LotRule,
    PlaceholderSerial,
    Project,
    VendorAlias,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Project {n}")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Location {n}")
    kind = LocationKind.DATACENTER


class AssetFactory(factory.django.DjangoModelFactory):
    """Normalised fields are given already normalised; services are tested on their own."""

    class Meta:
        model = Asset

    vendor = "Dell Inc."
    model = "PowerEdge R6515"
    vendor_serial_raw = factory.Sequence(lambda n: f"srv{n:06d}")
    vendor_serial = factory.LazyAttribute(lambda a: a.vendor_serial_raw.upper())
    status = AssetStatus.DEPLOYED


class LotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lot

    code = factory.Sequence(lambda n: f"SSD_NVME_{n:02d}.84TB_GEN4")
    component_class = ComponentClass.NVME


class LotRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LotRule

    lot = factory.SubFactory(LotFactory)
    component_class = factory.LazyAttribute(lambda r: r.lot.component_class)


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Component

    component_class = ComponentClass.NVME
    vendor_raw = "Samsung"
    vendor = "SAMSUNG"
    model = "MZQL23T8HCLS-00A07"
    serial_raw = factory.Sequence(lambda n: f"s4ex{n:08d}")
    serial = factory.LazyAttribute(lambda c: c.serial_raw.upper())
    specs = factory.LazyFunction(lambda: {"capacity_bytes": 3_840_755_982_336})


class InstallationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Installation

    component = factory.SubFactory(ComponentFactory)
    asset = factory.SubFactory(AssetFactory)
    slot = factory.Sequence(lambda n: f"Bay {n}")
    installed_at = T0
    last_seen_at = T0


class PlaceholderSerialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlaceholderSerial

    value = factory.Sequence(lambda n: f"PLACEHOLDER {n}")


class VendorAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorAlias

    alias = factory.Sequence(lambda n: f"VENDOR ALIAS {n}")
    vendor = "ACME"
