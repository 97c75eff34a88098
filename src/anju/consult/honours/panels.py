"""The honours on a household's and a person's page in the registry (``core.registry.record_panel``): the final
results only (the honour, the campaign, its year), read in one query; the name the honour was published under
only for a role that sees names in full. ``people`` never imports ``consult``; this
panel is registered from consult's ``AppConfig.ready()``."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from anju.consult.honours import selectors
from anju.people.models import Household, Resident
from anju.people.selectors import Viewer


def honours_panel(request: Any, obj: Any) -> SafeString | None:
    """The panel for a household (its own honours and its members') or a resident; None when there is none."""
    if isinstance(obj, Household):
        honours = selectors.honours_of_household(obj)
    elif isinstance(obj, Resident):
        honours = selectors.honours_of_resident(obj)
    else:
        return None
    if not honours:
        return None
    # The name an honour was published under is shown beside the registry only to a role that sees names and
    # doors in full: next to a masked record it would undo the mask (people.profiles).
    names = Viewer(request.user).profile(obj).names
    rows = [
        {
            "name": n.name if names else "",
            "title": n.campaign.title,
            "year": n.campaign.period_end.year,
            "campaign_id": n.campaign_id,
        }
        for n in honours
    ]
    return render_to_string("consult/honours/_record_panel.html", {"rows": rows}, request=request)
