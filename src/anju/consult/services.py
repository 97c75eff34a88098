"""Every state change of consult: keyword-only services, one transaction and one audit row each."""
