"""Issue 22: an escalation ladder per deadline and round, a fresh round on reopen, explicit SLA bases, complex
marks in the roll-up (none before: "complex" could not be set)."""

from django.db import migrations, models


def backfill(apps, schema_editor):
    """Earlier escalation rows belonged to one ladder per appeal: give each the deadline (stage) it was fired for
    (the stored deadline it equals; else, by when it fired, the dispatch before the appeal was dispatched and the
    feedback after) and the round (the reopens before it fired). A reopened appeal's round starts at its latest
    reopen (the callback step that reopened it). Open appeals are looked at again by the next sweep
    (``escalation_due_at`` set in the past), which fires what is due on the ladders of their current deadlines and sets
    the next time: an appeal whose dispatch was late gets its signing reminder and 催办 then."""
    from django.db.models import F

    Appeal = apps.get_model("appeals", "Appeal")
    AppealEvent = apps.get_model("appeals", "AppealEvent")
    Escalation = apps.get_model("appeals", "Escalation")
    reopens: dict[int, list] = {}
    events = AppealEvent.objects.filter(action="callback", to_status="reopened").order_by("at", "id")
    for appeal_id, at in events.values_list("appeal_id", "at").iterator():
        reopens.setdefault(appeal_id, []).append(at)
    for appeal_id, times in reopens.items():
        Appeal.objects.filter(pk=appeal_id).update(round_started_at=times[-1])
    for esc in Escalation.objects.select_related("appeal").order_by("id").iterator():
        appeal = esc.appeal
        stages = ("dispatch", "sign", "contact", "feedback")
        stage = next((s for s in stages if getattr(appeal, f"{s}_due") == esc.deadline), None)
        if stage is None:
            stage = "dispatch" if appeal.dispatched_at is None or esc.fired_at < appeal.dispatched_at else "feedback"
        rnd = sum(1 for at in reopens.get(appeal.pk, []) if at <= esc.fired_at)
        Escalation.objects.filter(pk=esc.pk).update(stage=stage, round=rnd)
    open_statuses = [
        *("received", "accepted", "dispatched", "signed", "in_progress", "waiting"),
        *("handled", "verified", "referred", "reopened"),
    ]
    # Already past (its receipt): the next sweep claims it.
    Appeal.objects.filter(status__in=open_statuses, due_at__isnull=False).update(escalation_due_at=F("received_at"))


class Migration(migrations.Migration):

    dependencies = [
        ("appeals", "0013_rollup_routing"),
    ]

    operations = [
        migrations.AddField(
            model_name="slapolicy",
            name="dispatch_basis",
            field=models.CharField(
                choices=[("receipt", "from receipt"), ("previous", "from the previous step")],
                default="receipt",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="slapolicy",
            name="sign_basis",
            field=models.CharField(
                choices=[("receipt", "from receipt"), ("previous", "from the previous step")],
                default="previous",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="slapolicy",
            name="contact_basis",
            field=models.CharField(
                choices=[("receipt", "from receipt"), ("previous", "from the previous step")],
                default="previous",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="slapolicy",
            name="feedback_basis",
            field=models.CharField(
                choices=[("receipt", "from receipt"), ("previous", "from the previous step")],
                default="receipt",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="appeal",
            name="round_started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="dailyrollup",
            name="complex_marked",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RemoveConstraint(model_name="escalation", name="appeals_escalation_once"),
        migrations.AddField(
            model_name="escalation",
            name="stage",
            field=models.CharField(
                choices=[
                    ("dispatch", "dispatch"),
                    ("sign", "signing"),
                    ("contact", "contact with the requester"),
                    ("feedback", "feedback to the requester"),
                ],
                default="dispatch",
                max_length=10,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="escalation",
            name="round",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterModelOptions(
            name="escalation",
            options={"ordering": ["appeal_id", "round", "fired_at", "id"]},
        ),
        migrations.AddConstraint(
            model_name="escalation",
            constraint=models.UniqueConstraint(
                fields=("appeal", "stage", "round", "level"), name="appeals_escalation_once"
            ),
        ),
    ]
