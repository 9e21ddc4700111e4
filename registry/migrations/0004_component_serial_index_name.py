"""The serial index gets a name the ingest's hot queries can force (FORCE INDEX): the new one
is built before the unnamed one is dropped, so lookups by serial always have an index. Both
steps are online on MariaDB (ALGORITHM=INPLACE)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_page_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="component",
            index=models.Index(fields=["serial"], name="component_serial"),
        ),
        migrations.AlterField(
            model_name="component",
            name="serial",
            field=models.CharField(help_text="Normalised serial.", max_length=200),
        ),
    ]
