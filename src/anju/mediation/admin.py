"""Read-only admin registrations of mediation: none. A case is read by its mediators and the branch
secretary only, with every read logged; the admin site would bypass both."""
