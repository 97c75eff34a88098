"""Tables of consult, one module per sub-domain (topics and meetings, surveys, the convention, honours)."""
