"""people: a person's language, archived rating sessions, and signed-in browsers (the app's session cookie)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 03:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows written before this revision: no language chosen yet (the browser's is used), sessions not archived.
    with op.batch_alter_table('raters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lang', sa.String(length=8), nullable=True))
    with op.batch_alter_table('rating_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('sign_ins',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('rater_id', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rater_id'], ['raters.id'], ),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('sign_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_ins_rater_id'), ['rater_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sign_ins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_ins_rater_id'))
    op.drop_table('sign_ins')
    with op.batch_alter_table('rating_sessions', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
    with op.batch_alter_table('raters', schema=None) as batch_op:
        batch_op.drop_column('lang')
