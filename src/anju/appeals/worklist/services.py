"""The appeal list's bulk steps and its export record.

A bulk step is the same step a worker takes on one appeal's page, taken on each selected appeal in turn
through the step table (``steps.step_take``): each appeal is authorised, changed, audited and told on its own,
in its own transaction, so one refusal (another status, out of reach) stops nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.appeals import services, steps
from anju.appeals.models import Appeal
from anju.audit.actions import Action
from anju.audit.services import record

BULK_STEPS = {
    "accept": gettext_lazy("Accept"),
    "dispatch": gettext_lazy("Dispatch"),
    "remind": gettext_lazy("Send a reminder (催办)"),
}
BULK_MAX = 100  # appeals in one bulk step: a page's worth several times over


@dataclass
class BulkResult:
    done: list[Appeal] = field(default_factory=list)
    refused: list[tuple[Appeal, str]] = field(default_factory=list)


def appeals_bulk_take(
    *, actor: Any, appeals: list[Appeal], step: str, data: steps.StepInput, request: HttpRequest | None = None
) -> BulkResult:
    """Take ``step`` (one of :data:`BULK_STEPS`) on each appeal through ``steps.step_take``; what was done and
    what was refused, with the reason in the actor's language."""
    if step not in BULK_STEPS:
        raise ValidationError({"step": [_("Choose what to do with the selected appeals.")]})
    if not appeals:
        raise ValidationError({"ids": [_("Select at least one appeal.")]})
    if len(appeals) > BULK_MAX:
        raise ValidationError({"ids": [_("Select at most %(max)d appeals at a time.") % {"max": BULK_MAX}]})
    result = BulkResult()
    for appeal in appeals:
        try:
            steps.step_take(actor=actor, appeal=appeal, step=step, data=data, request=request)
        except (Http404, PermissionDenied):
            result.refused.append((appeal, _("You may not do this on this appeal.")))
        except services.InvalidTransition as exc:
            result.refused.append((appeal, str(exc.message)))
        except ValidationError as exc:
            result.refused.append((appeal, " ".join(exc.messages)))
        else:
            result.done.append(appeal)
    return result


def appeals_export_record(
    *, actor: Any, rows: int, filters: dict[str, Any], request: HttpRequest | None = None
) -> None:
    """The audit row of an export of the appeal list: who, how many rows, with which filters."""
    with transaction.atomic():
        record(Action.APPEAL_EXPORTED, actor=actor, request=request, data={"rows": rows, "filters": filters})
