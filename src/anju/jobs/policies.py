from anju.accounts.policy import declare
from anju.accounts.roles import Role

declare("jobs.view", [Role.ADMIN], description="See background work and its failures")
