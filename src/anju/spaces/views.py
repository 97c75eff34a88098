from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from anju.accounts import policy
from anju.spaces import selectors


@policy.permission("space.view")
def station_list(request: HttpRequest) -> HttpResponse:
    return render(request, "spaces/stations.html", {"stations": selectors.stations_visible(request.user)})
