"""The secrets in iCalendar feed URLs (calendar apps cannot sign in)."""

from __future__ import annotations

import secrets
from typing import Any

from django.core import signing
from django.db import transaction
from django.http import HttpRequest

from anju.audit.actions import Action
from anju.audit.services import record
from anju.spaces.models import FeedKey

FEED_SALT = "anju.spaces.feed"


def feed_token(*, user: Any) -> str:
    """The secret of the user's calendar feed URL, made on first use.

    Making it is not an audited change: nobody chose anything, and no address that worked before stops
    working (the audit trail had a "feed address renewed" row for everyone who only opened 我的预约). A
    reset, which does cut off the old address, is :func:`feed_reset`."""
    key = FeedKey.objects.filter(user=user).first()
    if key is None:
        with transaction.atomic():
            key, _created = FeedKey.objects.get_or_create(user=user, defaults={"nonce": secrets.token_hex(16)})
    return signing.dumps({"u": user.pk, "n": key.nonce}, salt=FEED_SALT)


def feed_reset(*, actor: Any, user: Any, request: HttpRequest | None = None) -> FeedKey:
    """A new feed secret: calendar apps holding the old URL stop getting the feed."""
    with transaction.atomic():
        key, _created = FeedKey.objects.update_or_create(user=user, defaults={"nonce": secrets.token_hex(16)})
        record(Action.BOOKING_FEED_RESET, actor=actor, obj=user)
    return key


def feed_user(token: str) -> Any:
    """The active user a feed token belongs to, or None."""
    try:
        value = signing.loads(token, salt=FEED_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("u"), int):
        return None
    key = FeedKey.objects.select_related("user").filter(user_id=value["u"]).first()
    if key is None or not secrets.compare_digest(key.nonce, str(value.get("n", ""))) or not key.user.is_active:
        return None
    return key.user
