from ninja import Router

from anju.consult.surveys import api as surveys_api

router = Router(tags=["consult"])
router.add_router("", surveys_api.router)
