"""The data model. Importing this package registers every table on db.metadata."""

from app.models.access_rule import AccessRule, Group, access_rule_gates, staff_groups
from app.models.alarm import Alarm
from app.models.api_token import ApiToken
from app.models.area import Area, AreaPresence
from app.models.audit import AuditEntry
from app.models.decision_face import DecisionFace
from app.models.face_image import FaceImage
from app.models.gate import Gate
from app.models.job import Job
from app.models.log import Log
from app.models.model_version import ModelVersion
from app.models.policy_revision import PolicyRevision
from app.models.schedule import Holiday, HolidayCalendar, Schedule, ScheduleWindow
from app.models.staff import Staff
from app.models.stored import AvatarBlob, ModelChunk, PhotoBlob
from app.models.user import User
from app.models.webhook import Webhook, WebhookDelivery

__all__ = [
    "AccessRule", "Alarm", "ApiToken", "Area", "AreaPresence", "AuditEntry", "AvatarBlob", "DecisionFace", "FaceImage",
    "Gate", "Group", "Holiday", "HolidayCalendar", "Job", "Log", "ModelChunk", "ModelVersion", "PhotoBlob",
    "PolicyRevision", "Schedule", "ScheduleWindow", "Staff", "User", "Webhook", "WebhookDelivery", "access_rule_gates",
    "staff_groups",
]  # fmt: skip
