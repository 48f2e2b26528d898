"""HTTP views, one blueprint per concern."""

from flask import Flask

from app.extensions import db, login_manager
from app.models import User


def register_views(flask_app: Flask) -> None:
    """Attach the blueprints, the login machinery and the safety net to flask_app (Flask-Admin: app/admin/)."""
    from app.sitetime import format_local
    from app.views import api_v1_log  # noqa: F401  (adds the log, attendance and OpenAPI routes to api_v1)
    from app.views.api_input import register_api_errors
    from app.views.api_v1 import bp as api_v1_bp
    from app.views.auth import bp as auth_bp
    from app.views.gate_api import bp as gate_api_bp
    from app.views.main import bp as main_bp
    from app.views.me import bp as me_bp
    from app.views.metrics import bp as metrics_bp
    from app.views.reports import bp as reports_bp
    from app.views.safety import register_safety
    from app.views.snapshots import bp as snapshots_bp

    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    flask_app.register_blueprint(auth_bp)
    flask_app.register_blueprint(main_bp)
    flask_app.register_blueprint(me_bp)
    flask_app.register_blueprint(reports_bp)
    flask_app.register_blueprint(snapshots_bp)
    flask_app.add_template_filter(format_local, "localtime")
    flask_app.context_processor(lambda: {"site_timezone": flask_app.config["TIMEZONE"]})
    register_safety(flask_app)
    register_api_errors(flask_app)
    flask_app.register_blueprint(gate_api_bp)
    flask_app.register_blueprint(api_v1_bp)
    flask_app.register_blueprint(metrics_bp)
