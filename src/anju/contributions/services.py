"""Every state change of contributions: keyword-only services, one transaction and one audit row each."""
