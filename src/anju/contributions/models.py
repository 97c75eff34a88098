"""Tables of contributions."""
