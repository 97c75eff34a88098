from anju.access.policy import declare
from anju.access.roles import Role

declare("audit.view", [Role.SUPERVISOR, Role.ADMIN], description="Browse the audit trail")
