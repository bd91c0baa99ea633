"""apps: covering indexes for the app's GROUP BY queries (leaderboard battle counts, agreement ratings)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 19:35:00
"""
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The leaderboard counts battles GROUP BY (model_a, model_b, winner), optionally filtered by suite / judge_kind:
    # with every column in the index the database answers from the index alone.
    op.create_index('ix_battles_pair_winner', 'battles', ['model_a', 'model_b', 'winner', 'suite', 'judge_kind'])
    # The agreement page reads (item_id, rater, verdict, rater_kind) of one session's pairwise ratings.
    op.create_index('ix_ratings_session_kind', 'ratings',
                    ['session_id', 'kind', 'item_id', 'rater', 'verdict', 'rater_kind'])


def downgrade() -> None:
    op.drop_index('ix_ratings_session_kind', table_name='ratings')
    op.drop_index('ix_battles_pair_winner', table_name='battles')
