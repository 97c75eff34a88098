"""Tables of insights."""
