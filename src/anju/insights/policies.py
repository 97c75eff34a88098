"""Who may do what in insights: one declare() per action."""

from anju.access.policy import declare
from anju.access.roles import Role

# The station's figures: its own workers and secretary for their community, supervisors for the communities of
# their street or district. The rows behind a figure are listed within the reach of the domain's own action as
# well (door-level households for the community's workers only: ``Section.drill_action``).
declare(
    "insights.view",
    [Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY, Role.SUPERVISOR],
    description="Read the station dashboard, the comparison across communities and the rows behind each figure",
)
declare(
    "insights.report",
    [Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY, Role.SUPERVISOR],
    description="Ask for a community's annual report (PDF) and download it",
)
