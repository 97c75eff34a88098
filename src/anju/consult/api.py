from ninja import Router

from anju.consult.surveys import api as surveys_api

router = Router(tags=["consult"])
router.add_router("", surveys_api.router)

from anju.consult.convention.api import router as convention_router  # noqa: E402  (the convention)

router.add_router("", convention_router)

from anju.consult.meetings.api import router as meetings_router  # noqa: E402  (meetings and decisions)
from anju.consult.topics.api import router as topics_router  # noqa: E402  (topics, proposals, candidates)

router.add_router("", topics_router)
router.add_router("", meetings_router)

from anju.consult.honours.api import router as honours_router  # noqa: E402  (honours, 评比)

router.add_router("", honours_router)
