"""Who may do what in contributions: one declare() per action."""
