"""Flask-Admin at /admin/: people, visitors, groups, access rules, schedules, holidays, areas, gates, the log, model
versions, jobs and the live page. Admins only."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme

from app.admin.access import (
    AccessRuleAdmin,
    AreaAdmin,
    GroupAdmin,
    HolidayAdmin,
    HolidayCalendarAdmin,
    ScheduleAdmin,
)
from app.admin.alarms import AlarmAdmin
from app.admin.api_tokens import ApiTokenAdmin
from app.admin.audit import AuditAdmin
from app.admin.enrolment import EnrolmentView
from app.admin.gates import GateAdmin
from app.admin.integrations import IntegrationsStatusView
from app.admin.live import LiveView
from app.admin.logs import LogAdmin
from app.admin.people import AdminAccountAdmin, StaffAdmin
from app.admin.presence import PresenceView
from app.admin.readonly import JobAdmin, ModelVersionAdmin
from app.admin.review import ReviewView
from app.admin.security import AdminHome
from app.admin.visitors import VisitorAdmin
from app.admin.webhooks import WebhookAdmin, WebhookDeliveryAdmin
from app.extensions import db
from app.models import (
    AccessRule,
    Alarm,
    ApiToken,
    Area,
    AuditEntry,
    Gate,
    Group,
    Holiday,
    HolidayCalendar,
    Job,
    Log,
    ModelVersion,
    Schedule,
    Staff,
    User,
    Webhook,
    WebhookDelivery,
)


def init_admin(flask_app: Flask) -> Admin:
    """Create this app's Flask-Admin with every admin view (a fresh set of views per app)."""
    admin = Admin(
        flask_app,
        name="facegate",
        index_view=AdminHome(name="Home", url="/admin"),
        theme=Bootstrap4Theme(base_template="admin/facegate_master.html", fluid=True),
    )
    admin.add_view(LiveView(name="Live", endpoint="live"))
    admin.add_view(PresenceView(name="Who is in", endpoint="presence"))
    admin.add_view(StaffAdmin(Staff, db, name="Staff", endpoint="staff", category="People"))
    admin.add_view(VisitorAdmin(Staff, db, name="Visitors", endpoint="visitors", category="People"))
    admin.add_view(GroupAdmin(Group, db, name="Groups", endpoint="groups", category="People"))
    admin.add_view(AdminAccountAdmin(User, db, name="Admins", endpoint="admins", category="People"))
    admin.add_view(AccessRuleAdmin(AccessRule, db, name="Access rules", endpoint="rules", category="Access"))
    admin.add_view(ScheduleAdmin(Schedule, db, name="Schedules", endpoint="schedules", category="Access"))
    admin.add_view(HolidayAdmin(Holiday, db, name="Holidays", endpoint="holidays", category="Access"))
    admin.add_view(HolidayCalendarAdmin(HolidayCalendar, db, name="Holiday calendars", endpoint="calendars",
                                        category="Access"))
    admin.add_view(AreaAdmin(Area, db, name="Areas (anti-passback)", endpoint="areas", category="Access"))
    admin.add_view(GateAdmin(Gate, db, name="Gates", endpoint="gates"))
    admin.add_view(LogAdmin(Log, db, name="Log", endpoint="logs"))
    admin.add_view(ModelVersionAdmin(ModelVersion, db, name="Model versions", endpoint="models",
                                     category="Recognition"))
    admin.add_view(EnrolmentView(name="Enrolment", endpoint="enrolment", category="Recognition"))
    admin.add_view(JobAdmin(Job, db, name="Jobs", endpoint="jobs", category="Recognition"))
    admin.add_view(ReviewView(name="Review decisions", endpoint="review", category="Recognition"))
    admin.add_view(AlarmAdmin(Alarm, db, name="Alarms", endpoint="alarms"))
    admin.add_view(AuditAdmin(AuditEntry, db, name="Audit trail", endpoint="audit"))
    admin.add_view(WebhookAdmin(Webhook, db, name="Webhooks", endpoint="webhooks", category="Integrations"))
    admin.add_view(WebhookDeliveryAdmin(WebhookDelivery, db, name="Webhook deliveries", endpoint="webhook_deliveries",
                                        category="Integrations"))
    admin.add_view(IntegrationsStatusView(name="Status", endpoint="integrations", category="Integrations"))
    admin.add_view(ApiTokenAdmin(ApiToken, db, name="API tokens", endpoint="api_tokens", category="Integrations"))
    admin.add_link(MenuLink(name="Attendance", endpoint="reports.attendance_report"))
    return admin
