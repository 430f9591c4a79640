"""Install the pilot's instruments (data/instruments.json) as version 1 of each moment and side."""

from django.db import migrations

from welcomematch.surveys.catalogue import install_shipped_instruments


def install(apps, schema_editor):
    install_shipped_instruments(apps.get_model("surveys", "Instrument"), apps.get_model("surveys", "Item"))


def remove(apps, schema_editor):
    Instrument = apps.get_model("surveys", "Instrument")
    Instrument.objects.filter(version=1, responses__isnull=True, note="Pilot instrument (shipped)").delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
