from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from anju.site.demo import load_demo


class Command(BaseCommand):
    help = "Load the fictional demo community (idempotent) and print its logins."

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_demo()
        verb = "Loaded" if result["created"] else "Checked"
        self.stdout.write(self.style.SUCCESS(f"{verb} the demo community 安居社区."))
        self.stdout.write(f"Demo logins (password for all: {result['password']}):")
        for login in result["logins"]:
            self.stdout.write(f"  {login['username']:<12} {login['role']}  ({login['name']})")
