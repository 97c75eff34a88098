"""Who may do what in mediation: one declare() per action."""
