"""Every state change of mediation: keyword-only services, one transaction and one audit row each."""
