"""Staff self-service: one's own log, one's own details and avatar. Nothing here reads anyone else's data."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.avatars import AvatarError, avatar_jpeg, check_file_name, reencode_avatar, store_avatar
from app.error_pages import forbidden_page
from app.extensions import db
from app.models import Log, Staff
from app.snapshots import with_snapshots
from app.views.forms import AvatarForm, InfoForm

bp = Blueprint("me", __name__)

LOGS_PER_PAGE = 25


@bp.route("/me")
@login_required
def logs():
    """The signed-in person's own passages, newest first, a page at a time, each with its snapshot if kept."""
    staff = current_user.staff
    page, snapshots = None, set()
    if staff is not None:
        query = select(Log).where(Log.staff_id == staff.id).order_by(Log.timestamp.desc(), Log.id.desc())
        page = db.paginate(query, per_page=LOGS_PER_PAGE, error_out=False)
        snapshots = with_snapshots(row.decision_id for row in page.items)
    return render_template("me_logs.html", staff=staff, page=page, snapshots=snapshots)


@bp.route("/me/info", methods=["GET", "POST"])
@login_required
def info():
    """Show and edit one's own name, email and phone; the staff ID is shown but never editable."""
    staff = current_user.staff
    if staff is None:
        return render_template("me_info.html", staff=None, form=None, avatar_form=None)
    form = InfoForm(obj=staff)
    if form.validate_on_submit():
        staff.first_name = form.first_name.data.strip()
        staff.last_name = form.last_name.data.strip()
        staff.email = (form.email.data or "").strip() or None
        staff.phone = (form.phone.data or "").strip() or None
        db.session.commit()
        flash("Your details were saved.", "success")
        return redirect(url_for("me.info"))
    status = 400 if form.errors else 200
    return render_template("me_info.html", staff=staff, form=form, avatar_form=AvatarForm()), status


@bp.route("/me/avatar", methods=["POST"])
@login_required
def upload_avatar():
    """Replace one's avatar with an uploaded image, checked and re-encoded; anything else is refused."""
    staff = current_user.staff
    if staff is None:
        return forbidden_page()
    form = AvatarForm()
    error = None
    if not form.validate_on_submit():
        error = "; ".join(message for messages in form.errors.values() for message in messages)
    else:
        try:
            check_file_name(form.avatar.data.filename or "")
            jpeg = reencode_avatar(form.avatar.data.read(), current_app.config["AVATAR_MAX_BYTES"])
        except AvatarError as exc:
            error = str(exc)
    if error:
        flash(f"Avatar not changed: {error}", "error")
        return render_template("me_info.html", staff=staff, form=InfoForm(obj=staff), avatar_form=form), 400
    store_avatar(staff, jpeg)
    db.session.commit()
    flash("Your photo was updated.", "success")
    return redirect(url_for("me.info"))


@bp.route("/avatars/<int:staff_pk>")
@login_required
def avatar(staff_pk: int):
    """A person's avatar, for that person and for admins only."""
    own = current_user.staff
    if not current_user.is_admin and (own is None or own.id != staff_pk):
        return forbidden_page()
    staff = db.session.get(Staff, staff_pk)
    jpeg = None if staff is None else avatar_jpeg(staff)
    if jpeg is None:
        return render_template("error.html", title="Not found", message="No photo."), 404
    response = Response(jpeg, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.app_context_processor
def _avatar_url():
    def avatar_url(staff: Staff | None) -> str | None:
        if staff is None or not staff.avatar_path:
            return None
        return url_for("me.avatar", staff_pk=staff.id, v=staff.avatar_path[-12:-4])

    return {"avatar_url": avatar_url}
