"""Who may do what in insights: one declare() per action."""
