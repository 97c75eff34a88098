"""Sign in with a username or a mobile number."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from anju.accounts.models import User
from anju.core.masking import is_valid_mainland_mobile, normalise_mobile


def find_user(identifier: str) -> User | None:
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    mobile = normalise_mobile(identifier)
    if is_valid_mainland_mobile(mobile) and not any(c.isalpha() for c in identifier):
        from anju.accounts.services import mobile_index

        user = User.objects.filter(mobile_index=mobile_index(mobile)).first()
        if user is not None:
            return user
    return User.objects.filter(username__iexact=identifier).first()


class UsernameOrMobileBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if not username or password is None:
            return None
        user = find_user(username)
        if user is None:
            # Run the hasher anyway so a missing account takes as long as a wrong password.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
