from anju.accounts.policy import declare
from anju.accounts.roles import Role

declare("calendar.configure", [Role.ADMIN], description="Enter the official holiday schedule of a year")
