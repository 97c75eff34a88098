"""Screen the free text stored before screening existed (``core.screening``): the numbers in appeals'
descriptions and addresses, callback comments and typed timeline notes are sealed. Idempotent."""

from django.db import migrations

FIELDS = (("Appeal", ("description", "address")), ("Callback", ("comment",)), ("AppealEvent", ("note",)))


def screen_all(apps, schema_editor):
    from anju.core import screening

    for model_name, fields in FIELDS:
        model = apps.get_model("appeals", model_name)
        changed = []
        for row in model.objects.only("pk", *fields).iterator(chunk_size=500):
            dirty = False
            for field in fields:
                value = getattr(row, field)
                screened = screening.screen(value)
                if screened != value:
                    setattr(row, field, screened)
                    dirty = True
            if dirty:
                changed.append(row)
            if len(changed) >= 500:
                model.objects.bulk_update(changed, list(fields))
                changed = []
        if changed:
            model.objects.bulk_update(changed, list(fields))


class Migration(migrations.Migration):
    dependencies = [("appeals", "0009_privacy")]

    operations = [migrations.RunPython(screen_all, migrations.RunPython.noop)]
