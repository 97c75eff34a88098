from anju.accounts.policy import declare
from anju.accounts.roles import Role

declare("audit.view", [Role.SUPERVISOR, Role.ADMIN], description="Browse the audit trail")
