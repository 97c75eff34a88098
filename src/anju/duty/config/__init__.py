"""What coordinators set up for duty, through the API: shift templates, volunteers, points rules and settings,
the store's items (the pages do the same on the coordinators' page)."""
