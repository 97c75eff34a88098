from django.urls import URLPattern

from anju.consult.surveys import urls as surveys_urls

app_name = "consult"
urlpatterns: list[URLPattern] = []
urlpatterns += surveys_urls.urlpatterns

from anju.consult.convention.urls import urlpatterns as convention_urls  # noqa: E402  (the convention)

urlpatterns += convention_urls

from anju.consult.meetings.urls import urlpatterns as meetings_urls  # noqa: E402  (meetings and decisions)
from anju.consult.topics.urls import urlpatterns as topics_urls  # noqa: E402  (topics, proposals, candidates)

urlpatterns += topics_urls
urlpatterns += meetings_urls

from anju.consult.honours.urls import urlpatterns as honours_urls  # noqa: E402  (honours, 评比)

urlpatterns += honours_urls
