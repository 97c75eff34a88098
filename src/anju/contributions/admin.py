"""Read-only admin registrations of contributions."""
