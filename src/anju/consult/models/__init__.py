"""Tables of consult, one module per sub-domain (topics and meetings, surveys, the convention, honours)."""

from anju.consult.models.convention import (  # noqa: F401  (the convention, 公约)
    AckMethod,
    Acknowledgement,
    AdoptionMethod,
    Amendment,
    AmendmentKind,
    AmendmentStatus,
    Article,
    ArticleComment,
    Convention,
    ConventionVersion,
    VersionStatus,
)
from anju.consult.models.honours import (  # noqa: F401  (honours, 评比)
    Campaign,
    CampaignStatus,
    Criterion,
    Nomination,
    NominationStatus,
    Nominators,
    Objection,
    ObjectionStatus,
    Score,
    ScoreSheet,
    Subject,
    Vote,
)
from anju.consult.models.meetings import AgendaItem, Attendance, Decision, Invitation, Meeting  # noqa: F401
from anju.consult.models.surveys import Ballot, Option, Participation, Question, Survey, Tally, TallyCount  # noqa: F401
from anju.consult.models.topics import Candidate, Proposal, ProposalSupport, Topic  # noqa: F401
