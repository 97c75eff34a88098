"""The JSON API under ``/api/v1``: each domain app contributes a router."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI

from anju.core.api import SessionAuth, TokenAuth, install_error_handlers

api = NinjaAPI(
    title="Anju API",
    version="1",
    description=str(_("Anju community service: org tree, accounts, audit, and the domains built on them.")),
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    openapi_url="/openapi.json",
    docs_url="/docs",
)
install_error_handlers(api)


def _mount() -> None:
    from anju.accounts.api import router as accounts_router
    from anju.audit.api import router as audit_router
    from anju.orgs.api import router as orgs_router

    api.add_router("/", accounts_router)
    api.add_router("/", orgs_router)
    api.add_router("/", audit_router)


_mount()
