"""The JSON API under ``/api/v1``: each domain app contributes a router."""

from __future__ import annotations

from ninja import Swagger

from anju.accounts.tokens import TokenAuth
from anju.core.api import AnjuAPI, SessionAuth, install_error_handlers

api = AnjuAPI(
    title="Anju API",
    version="1",
    # The schema is the English developer contract (docs/openapi.json); a translated string here would be
    # frozen in whatever language was active at import time.
    description="Anju community service: org tree, accounts, audit, and the domains built on them.",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    openapi_url="/openapi.json",
    docs_url="/docs",
    # Swagger UI from django-ninja's own static files (no CDN), and no badge calling validator.swagger.io:
    # the docs page works on an offline network.
    docs=Swagger(settings={"validatorUrl": None}),
)
install_error_handlers(api)


def _mount() -> None:
    from anju.accounts.api import router as accounts_router
    from anju.activities.api import router as activities_router
    from anju.appeals.api import router as appeals_router
    from anju.appeals.config.api import router as appeals_config_router
    from anju.audit.api import router as audit_router
    from anju.bulletin.api import router as bulletin_router
    from anju.consult.api import router as consult_router
    from anju.contributions.api import router as contributions_router
    from anju.duty.api import router as duty_router
    from anju.inbox.api import router as inbox_router
    from anju.insights.api import router as insights_router
    from anju.mediation.api import router as mediation_router
    from anju.orgs.api import router as orgs_router
    from anju.pairing.api import router as pairing_router
    from anju.people.api import router as people_router
    from anju.people.invitations.api import router as invitations_router
    from anju.spaces.api import router as spaces_router

    api.add_router("/", accounts_router)
    api.add_router("/", appeals_router)
    api.add_router("/", appeals_config_router)
    api.add_router("/", orgs_router)
    api.add_router("/", people_router)
    api.add_router("/", invitations_router)
    api.add_router("/", audit_router)
    api.add_router("/", spaces_router)
    api.add_router("/", activities_router)
    api.add_router("/", bulletin_router)
    api.add_router("/", duty_router)
    api.add_router("/", inbox_router)
    api.add_router("/", pairing_router)
    api.add_router("/", consult_router)
    api.add_router("/", contributions_router)
    api.add_router("/", mediation_router)
    api.add_router("/", insights_router)


_mount()
