from anju.access.policy import declare
from anju.access.roles import Role

declare("jobs.view", [Role.ADMIN], description="See background work and its failures")
