from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from anju.access.roles import Role
from anju.accounts import services
from anju.accounts.models import User
from anju.orgs.models import OrgUnit


class Command(BaseCommand):
    help = "Create an administrator with the admin role on a top-level org unit."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="Display name (defaults to the username).")
        parser.add_argument("--unit", type=int, help="Org unit id for the admin role (default: every root unit).")
        parser.add_argument("--mobile", default="")
        parser.add_argument(
            "--password-env", default="ANJU_ADMIN_PASSWORD", help="Read the password from this variable if set."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get(options["password_env"]) or ""
        if not password:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password again: "):
                raise CommandError("The passwords differ.")
        if User.objects.filter(username__iexact=options["username"]).exists():
            raise CommandError(f"An account named {options['username']!r} exists already.")
        if options["unit"]:
            units = list(OrgUnit.objects.filter(pk=options["unit"]))
            if not units:
                raise CommandError(f"There is no org unit with id {options['unit']}.")
        else:
            units = list(OrgUnit.objects.filter(parent=None))
        try:
            with transaction.atomic():
                user = services.user_create(
                    actor=None,
                    username=options["username"],
                    display_name=options["name"] or options["username"],
                    password=password,
                    mobile=options["mobile"],
                )
                services.user_set_admin_access(actor=None, user=user, staff=True, superuser=not units)
                for unit in units:
                    services.role_grant(actor=None, user=user, role=Role.ADMIN, unit=unit)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        where = ", ".join(u.name for u in units) or "everything (superuser: no org unit exists yet)"
        self.stdout.write(self.style.SUCCESS(f"Administrator {user.username} created for {where}."))
