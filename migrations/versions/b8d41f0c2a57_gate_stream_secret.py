"""gates.stream_secret: the credential camera_ingest sends to the gate's own camera stream

Revision ID: b8d41f0c2a57
Revises: b4e1c7a9d2f3
Create Date: 2026-11-30 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d41f0c2a57'
down_revision = 'b4e1c7a9d2f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('gates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stream_secret', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('gates', schema=None) as batch_op:
        batch_op.drop_column('stream_secret')
