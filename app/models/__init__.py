"""The data model. Importing this package registers every table on db.metadata."""

from app.models.decision_face import DecisionFace
from app.models.face_image import FaceImage
from app.models.gate import Gate
from app.models.job import Job
from app.models.log import Log
from app.models.model_version import ModelVersion
from app.models.staff import Staff, staff_gates
from app.models.user import User

__all__ = ["DecisionFace", "FaceImage", "Gate", "Job", "Log", "ModelVersion", "Staff", "User", "staff_gates"]
