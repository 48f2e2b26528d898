"""access rules: groups, schedules with windows and holiday calendars, rules (clearances become "always" rules),
anti-passback areas, visitors' passes

Revision ID: a7c3e2f91b04
Revises: 7c3d2e9a4b10
Create Date: 2026-11-30 07:20:00

"""
import uuid
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = 'a7c3e2f91b04'
down_revision = '7c3d2e9a4b10'
branch_labels = None
depends_on = None

ALWAYS = 'Always'


def _create_tables():
    op.create_table('groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups')),
    sa.UniqueConstraint('name', name=op.f('uq_groups_name'))
    )
    op.create_table('holiday_calendars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holiday_calendars')),
    sa.UniqueConstraint('name', name=op.f('uq_holiday_calendars_name'))
    )
    op.create_table('policy_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_revision'))
    )
    op.create_table('areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('anti_passback', sa.Enum('off', 'soft', 'hard', name='passback_mode'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_areas')),
    sa.UniqueConstraint('name', name=op.f('uq_areas_name'))
    )
    op.create_table('schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('always', sa.Boolean(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['calendar_id'], ['holiday_calendars.id'], name=op.f('fk_schedules_calendar_id_holiday_calendars'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedules')),
    sa.UniqueConstraint('name', name=op.f('uq_schedules_name'))
    )
    op.create_table('schedule_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('start_minute', sa.SmallInteger(), nullable=False),
    sa.Column('end_minute', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_schedule_windows_weekday')),
    sa.CheckConstraint('start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute', name=op.f('ck_schedule_windows_minutes')),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_schedule_windows_schedule_id_schedules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_windows'))
    )
    with op.batch_alter_table('schedule_windows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_windows_schedule_id'), ['schedule_id'], unique=False)
    op.create_table('holidays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('follows_schedule_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('first_day <= last_day', name=op.f('ck_holidays_days')),
    sa.ForeignKeyConstraint(['calendar_id'], ['holiday_calendars.id'], name=op.f('fk_holidays_calendar_id_holiday_calendars'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['follows_schedule_id'], ['schedules.id'], name=op.f('fk_holidays_follows_schedule_id_schedules'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holidays'))
    )
    with op.batch_alter_table('holidays', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holidays_calendar_id'), ['calendar_id'], unique=False)
    op.create_table('staff_groups',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_staff_groups_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_groups_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', 'group_id', name=op.f('pk_staff_groups'))
    )
    op.create_table('access_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('is_clearance', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('(group_id IS NULL) <> (staff_id IS NULL)', name=op.f('ck_access_rules_one_subject')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_access_rules_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_access_rules_schedule_id_schedules'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_access_rules_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_rules'))
    )
    with op.batch_alter_table('access_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_rules_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_rules_schedule_id'), ['schedule_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_rules_staff_id'), ['staff_id'], unique=False)
    op.create_table('access_rule_gates',
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('gate_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['gate_id'], ['gates.id'], name=op.f('fk_access_rule_gates_gate_id_gates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['access_rules.id'], name=op.f('fk_access_rule_gates_rule_id_access_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rule_id', 'gate_id', name=op.f('pk_access_rule_gates'))
    )
    op.create_table('area_presence',
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.Enum('in', 'out', name='area_side'), nullable=False),
    sa.Column('gate_id', sa.Integer(), nullable=True),
    sa.Column('since', app.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_area_presence_area_id_areas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['gate_id'], ['gates.id'], name=op.f('fk_area_presence_gate_id_gates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_area_presence_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('area_id', 'staff_id', name=op.f('pk_area_presence'))
    )
    with op.batch_alter_table('area_presence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_presence_staff_id'), ['staff_id'], unique=False)


def _add_columns():
    with op.batch_alter_table('gates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('area_side', sa.Enum('in', 'out', name='area_side'), nullable=True))
        batch_op.create_index(batch_op.f('ix_gates_area_id'), ['area_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_gates_area_id_areas'), 'areas', ['area_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('violation', sa.String(length=64), nullable=True))
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.Enum('staff', 'visitor', name='person_kind'), server_default='staff', nullable=False))
        batch_op.add_column(sa.Column('host_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('valid_from', app.models.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('valid_until', app.models.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('forgotten_at', app.models.types.UTCDateTime(), nullable=True))
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_staff_kind'), ['kind'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_staff_host_id_staff'), 'staff', ['host_id'], ['id'], ondelete='SET NULL')


def _clearances_to_rules():
    """Every person's current clearance (their staff_gates rows) becomes their rule with the "always" schedule."""
    bind = op.get_bind()
    staff_gates = sa.table('staff_gates', sa.column('staff_id', sa.Integer), sa.column('gate_id', sa.Integer))
    staff = sa.table('staff', sa.column('id', sa.Integer), sa.column('staff_id', sa.String))
    schedules = sa.table('schedules', sa.column('id', sa.Integer), sa.column('name', sa.String),
                         sa.column('always', sa.Boolean))
    rules = sa.table('access_rules', sa.column('id', sa.Integer), sa.column('name', sa.String),
                     sa.column('staff_id', sa.Integer), sa.column('schedule_id', sa.Integer),
                     sa.column('is_clearance', sa.Boolean), sa.column('enabled', sa.Boolean),
                     sa.column('created_at', app.models.types.UTCDateTime()))
    rule_gates = sa.table('access_rule_gates', sa.column('rule_id', sa.Integer), sa.column('gate_id', sa.Integer))
    revision = sa.table('policy_revision', sa.column('id', sa.Integer), sa.column('revision', sa.String))
    bind.execute(revision.insert().values(id=1, revision=uuid.uuid4().hex))
    cleared = bind.execute(
        sa.select(staff.c.id, staff.c.staff_id, staff_gates.c.gate_id)
        .select_from(staff_gates.join(staff, staff.c.id == staff_gates.c.staff_id))
        .order_by(staff.c.id, staff_gates.c.gate_id)
    ).all()
    if not cleared:
        return
    bind.execute(schedules.insert().values(name=ALWAYS, always=True))
    always_id = bind.execute(sa.select(schedules.c.id).where(schedules.c.name == ALWAYS)).scalar_one()
    now = datetime.now(UTC)
    for staff_pk in dict.fromkeys(row.id for row in cleared):
        staff_code = next(row.staff_id for row in cleared if row.id == staff_pk)
        bind.execute(rules.insert().values(name=f'Clearance of {staff_code}', staff_id=staff_pk,
                                           schedule_id=always_id, is_clearance=True, enabled=True, created_at=now))
        rule_id = bind.execute(sa.select(rules.c.id).where(rules.c.staff_id == staff_pk,
                                                           rules.c.is_clearance.is_(True))).scalar_one()
        bind.execute(rule_gates.insert(), [{'rule_id': rule_id, 'gate_id': row.gate_id}
                                           for row in cleared if row.id == staff_pk])


def upgrade():
    _create_tables()
    _add_columns()
    _clearances_to_rules()
    op.drop_table('staff_gates')


def downgrade():
    """Back to per-person clearances: each person's clearance rule becomes their staff_gates rows again; other
    rules, groups, schedules, areas and visitors' passes are dropped (visitors stay as people without an account)."""
    op.create_table('staff_gates',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('gate_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['gate_id'], ['gates.id'], name=op.f('fk_staff_gates_gate_id_gates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_gates_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', 'gate_id', name=op.f('pk_staff_gates'))
    )
    op.execute(
        'INSERT INTO staff_gates (staff_id, gate_id) SELECT r.staff_id, g.gate_id FROM access_rules r '
        'JOIN access_rule_gates g ON g.rule_id = r.id WHERE r.is_clearance = 1 AND r.staff_id IS NOT NULL'
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_host_id_staff'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_staff_kind'))
        batch_op.drop_column('forgotten_at')
        batch_op.drop_column('valid_until')
        batch_op.drop_column('valid_from')
        batch_op.drop_column('host_id')
        batch_op.drop_column('kind')
    with op.batch_alter_table('logs', schema=None) as batch_op:
        batch_op.drop_column('violation')
    with op.batch_alter_table('gates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_gates_area_id_areas'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_gates_area_id'))
        batch_op.drop_column('area_side')
        batch_op.drop_column('area_id')
    for table in ('area_presence', 'access_rule_gates', 'access_rules', 'staff_groups', 'holidays',
                  'schedule_windows', 'schedules', 'areas', 'policy_revision', 'holiday_calendars', 'groups'):
        op.drop_table(table)
