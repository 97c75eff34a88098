"""Pages of contributions."""
