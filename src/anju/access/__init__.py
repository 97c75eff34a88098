"""Who may do what: the roles a user is granted on an org unit (``roles``) and the permission policy
(``policy``) every view, API operation and selector asks. The lowest layer: it imports nothing of Anju, so
every app, base ones included, can declare and ask its actions without an import cycle."""
