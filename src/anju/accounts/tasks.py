"""Periodic upkeep of accounts."""

from django.contrib.sessions.models import Session
from django.utils import timezone

from anju.accounts.signin import login_throttles_purge
from anju.jobs.registry import periodic


@periodic("accounts.purge_login_throttles", every_seconds=3600)
def purge_login_throttles() -> None:
    login_throttles_purge()


@periodic("accounts.clear_expired_sessions", every_seconds=6 * 3600)
def clear_expired_sessions() -> None:
    Session.objects.filter(expire_date__lt=timezone.now()).delete()


@periodic("accounts.purge_sign_in_codes", every_seconds=6 * 3600)
def purge_sign_in_codes() -> None:
    from anju.accounts.codes import codes_purge

    codes_purge()
