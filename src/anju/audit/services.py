"""Writing the audit trail. Services call :func:`record` inside their transaction."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from anju.audit.actions import Action
from anju.audit.models import AuditEvent, PiiAccess
from anju.audit.reasons import RevealReason
from anju.core import bulk, proxying

SECRET_NAMES = frozenset({"token", "raw_token", "key", "api_key", "otp", "id_number", "mobile", "sealed"})
SECRET_PARTS = ("password", "secret")
REDACTED = "[redacted]"


@functools.lru_cache(maxsize=1024)
def _is_secret(name: str) -> bool:
    name = name.lower()
    return name in SECRET_NAMES or any(part in name for part in SECRET_PARTS)


def redact(data: Any) -> Any:
    """Replace values whose key names a secret, at any depth."""
    if isinstance(data, dict):
        return {str(k): (REDACTED if _is_secret(str(k)) else redact(v)) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [redact(v) for v in data]
    if isinstance(data, str | int | float | bool) or data is None:
        return data
    return str(data)


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _community_of(obj: models.Model | None) -> Any:
    if obj is None:
        return None
    kind = getattr(obj, "kind", None)
    if kind == "community" and obj._meta.label == "orgs.OrgUnit":
        return obj
    return getattr(obj, "community", None)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The one shape of a change in an audit row: ``{"field": [old, new]}`` for each field whose value
    differs, recorded as ``data={"changed": diff(before, after)}``. A field missing on one side counts
    as ``None`` there. Secrets are redacted by :func:`record` like any other data."""
    return {
        name: [before.get(name), after.get(name)]
        for name in [*before, *(k for k in after if k not in before)]
        if before.get(name) != after.get(name)
    }


def record(
    action: Action,
    *,
    actor: Any = None,
    obj: models.Model | None = None,
    community: Any = None,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one audit row. Must run inside the caller's transaction."""
    event = _event(action, actor, obj, community, data, request, actor_label)
    event.save()
    return event


@dataclass(frozen=True)
class Entry:
    """One row of :func:`record_many`: the object, its community (else the object's) and the data."""

    obj: models.Model | None = None
    community: Any = None
    data: dict[str, Any] | None = None


def record_many(
    action: Action,
    entries: Iterable[Entry],
    *,
    actor: Any = None,
    request: HttpRequest | None = None,
    actor_label: str = "",
) -> int:
    """Append one audit row per entry, all of one action by one actor, in one statement (a batch of a sweep:
    the rows :func:`record` would write one by one, without a model instance each; :func:`anju.core.bulk.insert`).
    Must run inside the caller's transaction. Returns how many rows were written."""
    template = _event(action, actor, None, None, {}, request, actor_label)
    proxied = template.data.get("proxy")
    at = timezone.now()
    rows = []
    for e in entries:
        obj = e.obj
        data = dict(e.data or {})
        if proxied is not None:
            data["proxy"] = proxied
        community = e.community if e.community is not None else _community_of(obj)
        rows.append(
            (
                at,
                template.actor_id,
                template.actor_label,
                template.action,
                obj._meta.label_lower if obj is not None else "",
                str(obj.pk) if obj is not None and obj.pk is not None else "",
                str(obj)[:200] if obj is not None else "",
                getattr(community, "pk", community),
                redact(data),
                template.ip,
            )
        )
    bulk.insert(AuditEvent, _COLUMNS, rows)
    return len(rows)


_COLUMNS = (
    "created_at",
    "actor",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "community",
    "data",
    "ip",
)


def _event(
    action: Action,
    actor: Any,
    obj: models.Model | None,
    community: Any,
    data: dict[str, Any] | None,
    request: HttpRequest | None,
    actor_label: str,
) -> AuditEvent:
    if not isinstance(action, Action):
        action = Action(action)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the service's transaction")
    real_actor = actor if getattr(actor, "is_authenticated", False) else None
    data = dict(data or {})
    proxy = proxying.current()
    if proxy is not None and real_actor is not None and real_actor.pk == proxy.grantor_id:
        # A family proxy did this for the actor (子女代办): the row names both.
        data["proxy"] = {"id": proxy.user_id, "label": proxy.label, "grant": proxy.grant_id}
    return AuditEvent(
        actor=real_actor,
        actor_label=actor_label or (real_actor.get_username() if real_actor else ""),
        action=action.value,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_label=str(obj)[:200] if obj is not None else "",
        community=community if community is not None else _community_of(obj),
        data=redact(data),
        ip=client_ip(request),
    )


def record_pii_access(
    *,
    actor: Any,
    subject: models.Model,
    field: str,
    reason: RevealReason,
    community: Any = None,
    request: HttpRequest | None = None,
    prefix: str = "",
) -> PiiAccess:
    """The access-log row of one reveal; ``reason`` comes from :func:`anju.audit.reasons.clean_reveal_reason`
    (``prefix``, such as an appeal's number, is put before its text)."""
    return PiiAccess.objects.create(
        actor=actor,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        subject_label=str(subject)[:200],
        field=field,
        purpose=reason.purpose,
        reason=f"{prefix}{reason.text}"[:300],
        community=community if community is not None else getattr(subject, "community", None),
        ip=client_ip(request),
    )


def print_recorded(
    *,
    actor: Any,
    document: str,
    obj: models.Model,
    people: int,
    fmt: str = "html",
    request: HttpRequest | None = None,
) -> None:
    """One audit row for a printed document that shows personal data (``people`` persons on it)."""
    with transaction.atomic():
        record(
            Action.DOCUMENT_PRINTED,
            actor=actor,
            obj=obj,
            request=request,
            data={"document": document, "people": people, "format": fmt},
        )
