from ninja import Router

from anju.consult.surveys import api as surveys_api

router = Router(tags=["consult"])
router.add_router("", surveys_api.router)

from anju.consult.convention.api import router as convention_router  # noqa: E402  (the convention)

router.add_router("", convention_router)
