"""Read-only admin registrations of consult."""
