"""Creating admin accounts, staff members and gates, shared by the CLI and the admin views; finding a gate by its
API token, as the gate endpoint does."""

from __future__ import annotations

import re
import secrets
import unicodedata

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Gate, Staff, User
from app.models.gate import LIVENESS_MODES, hash_token


class AccountError(ValueError):
    """A request to create or change an account that cannot be carried out, with a message for people."""


def check_password_policy(password: str) -> None:
    """Raise AccountError unless password is acceptable (not blank, long enough)."""
    minimum = current_app.config["MIN_PASSWORD_LENGTH"]
    if not password or not password.strip():
        raise AccountError("The password must not be empty.")
    if len(password) < minimum:
        raise AccountError(f"The password must have at least {minimum} characters.")


def one_time_password() -> str:
    """A random password for a new account, to be changed at first login."""
    return secrets.token_urlsafe(9)


def safe_folder_name(first_name: str, last_name: str, staff_id: str) -> str:
    """The ASCII slug '<First>_<Last>_<id>' used as a person's dataset folder: no separators, no '..'."""
    text = unicodedata.normalize("NFKD", f"{first_name}_{last_name}_{staff_id}")
    text = text.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9-]+", "_", text).strip("_")
    return slug[:120] or "person"


def unique_folder(base: str) -> str:
    """base, or base_2, base_3... : the first that no person's image folder uses yet."""
    existing = set(db.session.scalars(select(Staff.folder).where(Staff.folder.like(f"{base}%"))))
    folder, n = base, 2
    while folder in existing:
        folder, n = f"{base}_{n}", n + 1
    return folder


def create_admin(username: str, password: str) -> User:
    """Create an admin account (committed); raise AccountError for a taken name or weak password."""
    username = username.strip()
    if not username:
        raise AccountError("The username must not be empty.")
    check_password_policy(password)
    if db.session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"A user named {username!r} already exists.")
    user = User(username=username, role="admin", active=True, must_change_password=False)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def set_password(username: str, password: str, must_change: bool = False) -> User:
    """Give an existing user a new password (committed); raise AccountError if unknown or weak."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"No user named {username!r}.")
    check_password_policy(password)
    user.set_password(password)
    user.must_change_password = must_change
    db.session.commit()
    return user


def create_staff(
    staff_id: str,
    first_name: str,
    last_name: str,
    email: str | None = None,
    phone: str | None = None,
    gate_names: list[str] | None = None,
) -> tuple[Staff, str]:
    """Create a staff member and their web account (committed); return it and its one-time password."""
    staff_id, first_name, last_name = staff_id.strip(), first_name.strip(), last_name.strip()
    if not staff_id or not first_name or not last_name:
        raise AccountError("Staff ID, first name and last name are required.")
    if len(staff_id) > 64 or not re.fullmatch(r"[A-Za-z0-9._-]+", staff_id):
        raise AccountError("The staff ID may use only letters, digits, '.', '_' and '-' (at most 64).")
    if db.session.scalar(select(User).where(User.username == staff_id)):
        raise AccountError(f"Staff ID {staff_id!r} is already taken.")
    gates = []
    for name in gate_names or []:
        gate = db.session.scalar(select(Gate).where(Gate.name == name))
        if gate is None:
            raise AccountError(f"No gate named {name!r}.")
        gates.append(gate)
    password = one_time_password()
    user = User(username=staff_id, role="staff", active=True, must_change_password=True)
    user.set_password(password)
    staff = Staff(
        user=user,
        staff_id=staff_id,
        first_name=first_name,
        last_name=last_name,
        email=(email or "").strip() or None,
        phone=(phone or "").strip() or None,
        folder=unique_folder(safe_folder_name(first_name, last_name, staff_id)),
        gates=gates,
    )
    db.session.add(staff)
    db.session.commit()
    return staff, password


def create_gate(
    name: str, camera_source: str, ip_address: str | None = None, voice: bool = True, liveness: str = "enforce"
) -> tuple[Gate, str]:
    """Create a gate (committed) with its liveness mode (off, warn, enforce); return it and its API token, which is
    shown only this once."""
    name = name.strip()
    if not name:
        raise AccountError("The gate name must not be empty.")
    if db.session.scalar(select(Gate).where(Gate.name == name)):
        raise AccountError(f"A gate named {name!r} already exists.")
    if liveness not in LIVENESS_MODES:
        raise AccountError(f"The liveness mode must be one of {', '.join(LIVENESS_MODES)}, not {liveness!r}.")
    gate = Gate(
        name=name, camera_source=camera_source.strip(), ip_address=ip_address, voice_enabled=voice, liveness=liveness
    )
    token = gate.rotate_token()
    db.session.add(gate)
    db.session.commit()
    return gate, token


def rotate_gate_stream_secret(name: str) -> tuple[Gate, str]:
    """Give the gate's camera stream a new secret (committed); return the gate and the secret, to be shown once."""
    gate = db.session.scalar(select(Gate).where(Gate.name == name.strip()))
    if gate is None:
        raise AccountError(f"No gate named {name!r}.")
    secret = gate.rotate_stream_secret()
    db.session.commit()
    return gate, secret


def gate_for_token(token: str) -> Gate | None:
    """The gate whose current API token this is, or None (only the token's hash is stored and compared)."""
    return db.session.scalar(select(Gate).where(Gate.token_hash == hash_token(token)))
