"""Every table, grouped by concern in the modules below; import any model from here."""

# Each foreign key to participants says what erasure does (CASCADE or SET NULL): /deleteme
# relies on it. Importing this package registers every table on Base.metadata (Alembic).

from bot.db.models.base import Base
from bot.db.models.certificates import Certificate
from bot.db.models.cohorts import Broadcast, Cohort
from bot.db.models.course import Answer, Enrollment, LessonDelivery, Reflection, ReviewCard
from bot.db.models.dashboard import DashboardLoginToken, DashboardSession
from bot.db.models.ideas import Idea, IdeaNote, IdeaStep, SelfAuditAnswer, WebAudit
from bot.db.models.outbox import OutboxMessage, ProcessedUpdate, TrackedTask
from bot.db.models.people import ChannelIdentity, DialogueState, LinkCode, Participant
from bot.db.models.roles import AuditLogEntry, RoleGrant

__all__ = [
    "Answer",
    "AuditLogEntry",
    "Base",
    "Broadcast",
    "Certificate",
    "ChannelIdentity",
    "Cohort",
    "DashboardLoginToken",
    "DashboardSession",
    "DialogueState",
    "Enrollment",
    "Idea",
    "IdeaNote",
    "IdeaStep",
    "LessonDelivery",
    "LinkCode",
    "OutboxMessage",
    "Participant",
    "ProcessedUpdate",
    "Reflection",
    "ReviewCard",
    "RoleGrant",
    "SelfAuditAnswer",
    "TrackedTask",
    "WebAudit",
]
