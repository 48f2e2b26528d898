"""gate liveness mode (off, warn, enforce) and spoof decisions

Revision ID: b4e1c7a9d2f3
Revises: 2e2630c93f6d
Create Date: 2026-11-30 07:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4e1c7a9d2f3'
down_revision = '2e2630c93f6d'
branch_labels = None
depends_on = None

OLD_KINDS = sa.Enum('granted', 'denied', 'stranger', name='decision_kind')
NEW_KINDS = sa.Enum('granted', 'denied', 'stranger', 'spoof', name='decision_kind')


def upgrade():
    with op.batch_alter_table('gates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('liveness', sa.Enum('off', 'warn', 'enforce', name='liveness_mode'),
                                      nullable=False, server_default='enforce'))
    with op.batch_alter_table('decision_faces', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=OLD_KINDS, type_=NEW_KINDS, existing_nullable=False)


def downgrade():
    op.execute("DELETE FROM decision_faces WHERE kind = 'spoof'")
    with op.batch_alter_table('decision_faces', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=NEW_KINDS, type_=OLD_KINDS, existing_nullable=False)
    with op.batch_alter_table('gates', schema=None) as batch_op:
        batch_op.drop_column('liveness')
