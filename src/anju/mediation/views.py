"""Pages of mediation."""
