"""Pages of consult."""
