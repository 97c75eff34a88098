"""Read-only admin registrations of mediation."""
