"""What the worker is doing: periodic tasks and recent or failed jobs."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from anju.access import policy
from anju.core.pagination import paginate
from anju.jobs.models import Job, PeriodicTask


@policy.permission("jobs.view")
def status(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "")
    jobs = Job.objects.order_by("-created_at")
    if show in Job.Status.values:
        jobs = jobs.filter(status=show)
    context = {
        "periodic": PeriodicTask.objects.all(),
        "page": paginate(request, jobs),
        "show": show,
        "statuses": Job.Status.choices,
        "counts": {s: Job.objects.filter(status=s).count() for s in Job.Status.values},
    }
    return render(request, "jobs/status.html", context)
