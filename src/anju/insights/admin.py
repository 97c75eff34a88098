"""Read-only admin registrations of insights."""
