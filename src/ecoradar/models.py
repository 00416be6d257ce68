"""Every ORM model, imported in one place so metadata and migrations see the whole schema."""

from ecoradar.analysers.models import AnalyserParameter
from ecoradar.audit.models import AuditEntry
from ecoradar.auth.models import ApiToken, AuthSession, LoginAttempt, User
from ecoradar.bus.models import BusPartition
from ecoradar.clues.models import Clue, IntakeAttempt
from ecoradar.clues.open311_keys import Open311KeyLimit
from ecoradar.core.db import Base
from ecoradar.detection.models import Alert
from ecoradar.exposure.models import ExposureEntry
from ecoradar.fivestep.models import FiveStepCampaign, FiveStepRecord, FiveStepStep
from ecoradar.greencode.models import (
    GreenCode,
    GreenCodeHistory,
    GreenCodePass,
    RepairApplication,
    StaleCode,
)
from ecoradar.inspections.models import Conflict, Draw, Inspection, Inspector
from ecoradar.media.models import MediaFile
from ecoradar.monitoring.models import Measurement, RawPacket
from ecoradar.patrols.models import Patrol, PatrolPlan
from ecoradar.power.models import PowerEpisode, PowerMeter, PowerReading, PowerUnit
from ecoradar.praise.models import PraiseNotice
from ecoradar.problems.models import (
    CalendarDay,
    Finding,
    Problem,
    ProblemAttachment,
    ProblemEvent,
    ProblemLink,
    ProblemNote,
)
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet, PointLimit
from ecoradar.reminders.models import (
    Campaign,
    Reminder,
    ReminderCounter,
    ReminderIssue,
    ReminderPass,
    UpcomingStandard,
)
from ecoradar.rewards.models import ProblemOutcome, Reward, RewardRuleSet, RewardTier
from ecoradar.screens.models import DisplayToken
from ecoradar.selfcheck.models import (
    ChecklistTemplate,
    ControlPoint,
    PointType,
    SelfcheckNotification,
    SelfcheckTask,
    TemplateVersion,
)
from ecoradar.stations.models import Station
from ecoradar.supervision.models import SupervisedProblem, SupervisionQuestion, Supervisor

__all__ = [
    "AnalyserParameter",
    "ExposureEntry",
    "FiveStepCampaign",
    "FiveStepRecord",
    "FiveStepStep",
    "Campaign",
    "Reminder",
    "ReminderCounter",
    "ReminderIssue",
    "ReminderPass",
    "UpcomingStandard",
    "Conflict",
    "DisplayToken",
    "Draw",
    "Inspection",
    "Inspector",
    "GreenCode",
    "GreenCodeHistory",
    "GreenCodePass",
    "RepairApplication",
    "StaleCode",
    "ProblemOutcome",
    "Reward",
    "RewardRuleSet",
    "RewardTier",
    "Clue",
    "IntakeAttempt",
    "Open311KeyLimit",
    "ChecklistTemplate",
    "ControlPoint",
    "SelfcheckNotification",
    "PointType",
    "SelfcheckTask",
    "TemplateVersion",
    "CalendarDay",
    "Finding",
    "Problem",
    "ProblemAttachment",
    "ProblemEvent",
    "ProblemLink",
    "ProblemNote",
    "Alert",
    "ApiToken",
    "AuditEntry",
    "AuthSession",
    "BusPartition",
    "Base",
    "Enterprise",
    "LoginAttempt",
    "Measurement",
    "MediaFile",
    "MonitoringPoint",
    "Outlet",
    "Patrol",
    "PatrolPlan",
    "PointLimit",
    "PowerEpisode",
    "PowerMeter",
    "PowerReading",
    "PowerUnit",
    "PraiseNotice",
    "RawPacket",
    "Region",
    "Station",
    "SupervisedProblem",
    "SupervisionQuestion",
    "Supervisor",
    "User",
]
