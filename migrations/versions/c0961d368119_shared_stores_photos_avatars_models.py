"""shared stores: enrolment photos, avatars and model versions as bytes in the database

Photos, avatars and model files move from each host's disk into tables of their own; `flask storage move-to-db`
moves an existing site's files (docs/operations.md). Crops are no longer kept (face_images.processed_path goes);
a model version records its checksum, size and the job that made it instead of a file path.

Revision ID: c0961d368119
Revises: b8d41f0c2a57
Create Date: 2026-11-30 07:40:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


# revision identifiers, used by Alembic.
revision = 'c0961d368119'
down_revision = 'b8d41f0c2a57'
branch_labels = None
depends_on = None

BYTES = sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), 'mysql', 'mariadb')


def upgrade():
    op.create_table('photo_blobs',
    sa.Column('face_image_id', sa.Integer(), nullable=False),
    sa.Column('jpeg', BYTES, nullable=False),
    sa.ForeignKeyConstraint(['face_image_id'], ['face_images.id'], name=op.f('fk_photo_blobs_face_image_id_face_images'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('face_image_id', name=op.f('pk_photo_blobs'))
    )
    op.create_table('avatar_blobs',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('jpeg', BYTES, nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_avatar_blobs_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', name=op.f('pk_avatar_blobs'))
    )
    op.create_table('model_chunks',
    sa.Column('model_version_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', BYTES, nullable=False),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_versions.id'], name=op.f('fk_model_chunks_model_version_id_model_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('model_version_id', 'seq', name=op.f('pk_model_chunks'))
    )
    with op.batch_alter_table('face_images', schema=None) as batch_op:
        batch_op.drop_column('processed_path')
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checksum', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('size', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('job_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_model_versions_job_id_jobs'), 'jobs', ['job_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_column('path')
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.alter_column('checksum', server_default=None, existing_type=sa.String(length=64), existing_nullable=False)
        batch_op.alter_column('size', server_default=None, existing_type=sa.Integer(), existing_nullable=False)


def downgrade():
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('path', sa.String(length=512), nullable=False, server_default=''))
        batch_op.drop_constraint(batch_op.f('fk_model_versions_job_id_jobs'), type_='foreignkey')
        batch_op.drop_column('job_id')
        batch_op.drop_column('size')
        batch_op.drop_column('checksum')
    with op.batch_alter_table('face_images', schema=None) as batch_op:
        batch_op.add_column(sa.Column('processed_path', sa.String(length=512), nullable=True))
    op.drop_table('model_chunks')
    op.drop_table('avatar_blobs')
    op.drop_table('photo_blobs')
