"""Pages of insights."""
