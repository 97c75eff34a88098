"""Copy the appeals inbox (``Notification``) and its email ``Outbox`` into the shared inbox app.

The stored title was a sentence in the sender's language; the shared inbox stores the kind and its
parameters instead, so the reader sees the title in their own language. Parameters are rebuilt from the
appeal; where one cannot be (an appeal without a department …) the old sentence is kept as the note.
The next migration drops the old tables.
"""

from zoneinfo import ZoneInfo

from django.db import migrations

ZONE = ZoneInfo("Asia/Shanghai")
NEEDS = {"appeal.filed": "category", "appeal.dispatched": "department", "appeal.whistle": "minutes"}


def _params(n, Escalation, Summons):
    appeal = n.appeal
    params = {"appeal": appeal.pk, "number": f"A{appeal.pk:08d}"}  # Appeal.number (a property, not in history)
    if appeal.category_id:
        params["category"] = appeal.category.name
    if appeal.department_id:
        params["department"] = appeal.department.name
    need = NEEDS.get(n.kind)
    if n.kind == "appeal.whistle":
        latest = (
            Summons.objects.filter(whistle__appeal_id=appeal.pk, whistle__blown_at__lte=n.created_at)
            .order_by("-whistle__blown_at", "-id")
            .values_list("arrive_by", "whistle__blown_at")
            .first()
        )
        if latest:
            params["minutes"] = round((latest[0] - latest[1]).total_seconds() / 60)
    elif n.kind.startswith("escalation."):
        need = "due"
        level = n.kind.partition(".")[2]
        if level.isdigit():
            due = Escalation.objects.filter(appeal_id=appeal.pk, level=int(level)).values_list("deadline", flat=True)
            if due:
                params["due"] = due[0].astimezone(ZONE).strftime("%Y-%m-%d %H:%M")
    if (need and need not in params) or not (n.kind.startswith("appeal.") or n.kind.startswith("escalation.")):
        params["note"] = n.title
    return params


def forwards(apps, schema_editor):
    Notification = apps.get_model("appeals", "Notification")
    OldOutbox = apps.get_model("appeals", "Outbox")
    Escalation = apps.get_model("appeals", "Escalation")
    Summons = apps.get_model("appeals", "Summons")
    Message = apps.get_model("inbox", "Message")
    Outbox = apps.get_model("inbox", "Outbox")
    outbox_of = {o.notification_id: o for o in OldOutbox.objects.all().iterator()}
    rows = Notification.objects.select_related("appeal__category", "appeal__department").order_by("id")
    for n in rows.iterator():
        if n.appeal_id:
            params = _params(n, Escalation, Summons)
            url = f"/appeals/{n.appeal_id}/"
        else:
            params, url = {"note": n.title}, ""
        message = Message.objects.create(
            community_id=n.community_id,
            recipient_id=n.user_id,
            kind=n.kind,
            params=params,
            url=url,
            created_at=n.created_at,
            read_at=n.read_at,
        )
        old = outbox_of.get(n.pk)
        if old is not None:
            Outbox.objects.create(
                community_id=old.community_id,
                message=message,
                channel=old.channel,
                state=old.state,
                attempts=old.attempts,
                next_attempt_at=old.created_at,
                created_at=old.created_at,
                sent_at=old.sent_at,
            )


def backwards(apps, schema_editor):
    Message = apps.get_model("inbox", "Message")
    Message.objects.filter(kind__regex=r"^(appeal|escalation)\.").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0004_rollup_awaiting_callback"),
        ("inbox", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
