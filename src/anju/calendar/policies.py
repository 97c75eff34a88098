from anju.access.policy import declare
from anju.access.roles import Role

declare("calendar.configure", [Role.ADMIN], description="Enter the official holiday schedule of a year")
