"""Seed the placeholder-serial list and vendor aliases (DESIGN.md, Identity). Both stay
editable in admin; re-running this migration's forward step never duplicates a row."""

from django.db import migrations

from registry.normalisation import DEFAULT_PLACEHOLDERS, DEFAULT_VENDOR_ALIASES


def seed(apps, schema_editor):
    PlaceholderSerial = apps.get_model("registry", "PlaceholderSerial")
    VendorAlias = apps.get_model("registry", "VendorAlias")
    for value, kind in DEFAULT_PLACEHOLDERS:
        PlaceholderSerial.objects.get_or_create(value=value, defaults={"kind": kind, "note": "seeded"})
    for alias, vendor in DEFAULT_VENDOR_ALIASES.items():
        VendorAlias.objects.get_or_create(alias=alias, defaults={"vendor": vendor})


def unseed(apps, schema_editor):
    apps.get_model("registry", "PlaceholderSerial").objects.filter(note="seeded").delete()
    apps.get_model("registry", "VendorAlias").objects.filter(alias__in=list(DEFAULT_VENDOR_ALIASES)).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
