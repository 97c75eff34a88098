"""Pages of the station's spaces and bookings, by sub-domain: parse → fetch and authorise → service → render.

- :mod:`.stations` — the station list, a day across its spaces, a space's page, booking and closing it;
- :mod:`.setup` — set-up by station staff: details, rules, hours, closed periods, photos;
- :mod:`.bookings` — one's own bookings, approvals, a booking's page and actions, QR check-in;
- :mod:`.feeds` — iCalendar feeds;
- :mod:`.common` — the fetch-and-authorise helpers they share.
"""
