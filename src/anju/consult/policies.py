"""Who may do what in consult: one declare() per action."""
