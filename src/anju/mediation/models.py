"""Tables of mediation."""
