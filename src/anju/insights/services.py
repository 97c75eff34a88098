"""Every state change of insights: keyword-only services, one transaction and one audit row each."""
