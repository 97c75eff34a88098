from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import translation


class Command(BaseCommand):
    help = "Print the API's OpenAPI schema (the committed copy is docs/openapi.json)."

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings
        from django.utils.module_loading import import_string

        api = import_string(settings.ANJU_API)  # the site's API object: core does not import the site

        with translation.override("en"):
            schema = api.get_openapi_schema()
        self.stdout.write(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True))
