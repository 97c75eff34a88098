"""Seed the dispatch catalogue, the SLA preset of DESIGN.md and the default satisfaction scale."""

from django.db import migrations

CATEGORIES = [
    # code, name, group, usual department kind, default urgency
    ("street-lamp", "路灯损坏", "市政设施", "urban", "general"),
    ("road-damage", "道路破损", "市政设施", "urban", "general"),
    ("illegal-structure", "违章搭建", "城市管理", "urban", "general"),
    ("garbage", "垃圾清运", "城市管理", "urban", "general"),
    ("street-vending", "占道经营", "城市管理", "urban", "general"),
    ("drain-blocked", "下水道堵塞", "水电气暖", "water", "urgent"),
    ("water-outage", "停水或水压低", "水电气暖", "water", "urgent"),
    ("power-outage", "停电", "水电气暖", "power", "urgent"),
    ("gas-leak", "燃气泄漏", "水电气暖", "gas", "emergency"),
    ("building-repair", "房屋及公共设施维修", "住房", "housing", "general"),
    ("elevator", "电梯故障", "住房", "market", "urgent"),
    ("neighbour-dispute", "邻里纠纷", "社会治理", "police", "general"),
    ("noise", "噪音扰民", "生态环境", "environment", "general"),
    ("public-security", "治安隐患", "社会治理", "police", "general"),
    ("sanitation", "环境卫生与病媒", "卫生健康", "health", "general"),
    ("elderly-care", "养老服务", "民生保障", "civil", "general"),
    ("other", "其他", "其他", "other", "general"),
]

# urgency, complex, dispatch (h), sign (h), contact (h), feedback (value, unit)
SLA = [
    ("emergency", False, 1, 2, 1, 2, "hours"),
    ("urgent", False, 2, 2, 4, 24, "hours"),
    ("general", False, 24, 2, 24, 7, "workdays"),
    ("general", True, 24, 2, 24, 15, "workdays"),
    ("urgent", True, 24, 2, 24, 15, "workdays"),
]

LEVELS = [("satisfied", "满意", True), ("basic", "基本满意", True), ("unsatisfied", "不满意", False)]


def seed(apps, schema_editor):
    Category = apps.get_model("appeals", "Category")
    SlaPolicy = apps.get_model("appeals", "SlaPolicy")
    SatisfactionLevel = apps.get_model("appeals", "SatisfactionLevel")
    for n, (code, name, group, kind, urgency) in enumerate(CATEGORIES):
        Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "group": group,
                "department_kind": kind,
                "default_urgency": urgency,
                "sort_order": n,
            },
        )
    for urgency, complex_, dispatch, sign, contact, feedback, unit in SLA:
        if not SlaPolicy.objects.filter(category=None, urgency=urgency, complex=complex_).exists():
            SlaPolicy.objects.create(
                category=None,
                urgency=urgency,
                complex=complex_,
                dispatch_value=dispatch,
                sign_value=sign,
                contact_value=contact,
                feedback_value=feedback,
                feedback_unit=unit,
            )
    for n, (code, label, ok) in enumerate(LEVELS):
        SatisfactionLevel.objects.get_or_create(
            code=code, defaults={"label": label, "counts_as_satisfied": ok, "sort_order": n}
        )


class Migration(migrations.Migration):
    dependencies = [("appeals", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
