from django import template

from anju.contributions.services import yuan as fen_to_yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """Fen as yuan: 30000000 → 300,000.00."""
    return fen_to_yuan(int(fen or 0))


@register.simple_tag
def kind_quantity(row: dict[str, object]) -> str:
    """ "Money ¥300,000.00" or "Land 80 m² (given)" for a contribution row (a dict of values)."""
    from decimal import Decimal

    from anju.contributions.models import Contribution, Kind
    from anju.contributions.selectors import quantity_label

    kind = str(row["kind"])
    quantity = Decimal(str(row["quantity"]))
    if kind == Kind.MONEY:
        return f"{Kind(kind).label} ¥{fen_to_yuan(int(quantity * 100))}"
    text = f"{Kind(kind).label} {quantity_label(quantity, str(row['unit']))}"
    tenure = str(row.get("tenure") or "")
    if tenure in Contribution.Tenure.values:
        text += f" ({Contribution.Tenure(tenure).label})"
    return text
