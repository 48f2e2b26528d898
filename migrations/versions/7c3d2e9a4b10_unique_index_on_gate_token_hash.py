"""gates.token_hash: a unique index (the gate endpoint looks a gate up by it on every request)

Revision ID: 7c3d2e9a4b10
Revises: e5a91e68338d
Create Date: 2026-11-30 07:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c3d2e9a4b10'
down_revision = 'e5a91e68338d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('gates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gates_token_hash'), ['token_hash'], unique=True)


def downgrade():
    with op.batch_alter_table('gates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gates_token_hash'))
