"""snapshots: the whole deciding frame beside a decision's face crop (kept when SNAPSHOT_FRAMES is on)

Revision ID: 3f6b1c2d9e80
Revises: f687842da42f
Create Date: 2026-11-30 07:25:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


# revision identifiers, used by Alembic.
revision = '3f6b1c2d9e80'
down_revision = 'f687842da42f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('decision_faces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('frame', sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), 'mysql', 'mariadb'),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('decision_faces', schema=None) as batch_op:
        batch_op.drop_column('frame')
