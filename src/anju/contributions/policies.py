"""Who may do what in contributions: one declare() per action."""

from anju.access.policy import declare
from anju.access.roles import MEMBER_ROLES, STAFF_ROLES, Role

declare(
    "contributions.view",
    [*MEMBER_ROLES, Role.SUPERVISOR],
    upward=True,
    description="See the community's projects and their public ledger (anonymous contributors as anonymous)",
)
declare(
    "contributions.manage",
    STAFF_ROLES,
    description="Projects, goals and photos; record contributions, labour and expenditures; reverse entries; "
    "receipts and thank-you notices; the community's ledger settings; contributors' names behind anonymity",
)
declare(
    "contributions.approve",
    STAFF_ROLES,
    description="Approve or reject a money entry over the threshold recorded by someone else (four-eyes)",
)
declare(
    "contributions.report",
    [*STAFF_ROLES, Role.SUPERVISOR],
    description="Yearly totals per community and across the district",
)
