"""SQLAlchemy 2.0 models: organisation, process versions, cases and their projections.

Every relationship is a read-only many-to-one (viewonly): rows are linked by assigning foreign key columns, so a
flush has no relationship dependencies to sort, which keeps the per-request unit of work cheap. A new parent is
flushed before a child that names its id.
"""

from models.base import Base
from models.case import (
    Attachment,
    Breach,
    BreachEvent,
    Case,
    CaseEvent,
    CaseLink,
    Draft,
    HumanTask,
    InboxTally,
    InboxView,
    LeadershipAlert,
    MonitoringCheck,
    Notification,
    OutboxMessage,
    SurgeAlert,
    Timer,
)
from models.org import (
    Absence,
    ApiToken,
    Body,
    Channel,
    LexiconEntry,
    Location,
    LoginFailure,
    LoginSession,
    Tenant,
    Theme,
    ThemeGroup,
    User,
)
from models.process import CalendarYear, OverrideDay, ProcessAdoption, ProcessDraft, ProcessVersion, SandboxRun
from models.registry import BodyAccount, DeadlineChange, ReplyTemplate
from models.report import CaseFact, ReportEdition, StepFact
from models.transfer import CaseTransfer

__all__ = ["Absence", "ApiToken", "Attachment", "Base", "Body", "BodyAccount", "Breach", "BreachEvent",
           "CalendarYear", "Case", "CaseEvent", "CaseFact", "CaseLink", "CaseTransfer", "Channel", "DeadlineChange",
           "Draft", "HumanTask", "InboxTally", "InboxView", "LeadershipAlert", "LexiconEntry", "Location",
           "LoginFailure", "LoginSession", "MonitoringCheck", "Notification", "OutboxMessage", "OverrideDay",
           "ProcessAdoption", "ProcessDraft", "ProcessVersion", "ReplyTemplate", "ReportEdition", "SandboxRun",
           "StepFact", "SurgeAlert", "Tenant", "Theme", "ThemeGroup", "Timer", "User"]
