"""HTTP views, one blueprint per concern."""

from flask import Flask

from app.extensions import db, login_manager
from app.models import User


def register_views(flask_app: Flask) -> None:
    """Attach the blueprints and the login machinery to flask_app."""
    from app.views.auth import bp as auth_bp
    from app.views.gate_api import bp as gate_api_bp
    from app.views.main import bp as main_bp

    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    flask_app.register_blueprint(auth_bp)
    flask_app.register_blueprint(main_bp)
    flask_app.register_blueprint(gate_api_bp)
