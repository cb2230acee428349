"""SQLAlchemy 2.0 models: organisation, process versions, cases and their projections."""

from models.base import Base
from models.case import Breach, Case, CaseEvent, Draft, HumanTask, Notification, Timer
from models.org import ApiToken, Body, Channel, Location, Tenant, Theme, ThemeGroup, User
from models.process import CalendarYear, OverrideDay, ProcessVersion

__all__ = ["ApiToken", "Base", "Body", "Breach", "CalendarYear", "Case", "CaseEvent", "Channel", "Draft",
           "HumanTask", "Location", "Notification", "OverrideDay", "ProcessVersion", "Tenant", "Theme",
           "ThemeGroup", "Timer", "User"]
