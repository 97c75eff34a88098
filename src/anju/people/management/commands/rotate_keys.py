"""``anju rotate_keys``: add a fresh data key, make it current, re-seal every personal value under it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from anju.audit.actions import Action
from anju.audit.services import record
from anju.core import crypto, pii


class Command(BaseCommand):
    help = (
        "Rotate the personal-data key: add a new key to the key file, make it current, and re-encrypt every "
        "sealed value. The keyed-hash key is kept, so lookups keep working. Back up the key file afterwards."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reseal-only",
            action="store_true",
            help="Do not add a key: re-seal values not yet under the current key (resume, or keys from ANJU_DATA_KEYS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        crypto.keyring.cache_clear()
        before = crypto.keyring().current
        if not options["reseal_only"]:
            new_id = crypto.rotate_key_file()
            self.stdout.write(f"New data key {new_id} is now current (was {before}).")
        counts = pii.reseal_all(progress=lambda field, n: self.stderr.write(f"{field}: {n}\r", ending=""))
        self.stderr.write("")
        for field, n in counts.items():
            self.stdout.write(f"{field}: {n} re-sealed")
        with transaction.atomic():
            record(
                Action.SYSTEM_KEYS_ROTATED,
                actor_label="anju rotate_keys",
                data={"from": before, "to": crypto.keyring().current, "resealed": sum(counts.values())},
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Every value is sealed with {crypto.keyring().current}. "
                f"Back up {crypto.key_file_path()} now: a backup cannot be read without it."
            )
        )
