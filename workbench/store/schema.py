"""The results store's tables (SQLAlchemy Core). Alembic migrations under migrations/ create them; keep both in step."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "kind", sa.String(32), nullable=False, index=True
    ),  # audit|suite|judge|tournament|finetune|generate|session
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("model", sa.Text),
    sa.Column("fingerprint", sa.String(64)),
    sa.Column("config", sa.JSON),
    sa.Column("status", sa.String(16), nullable=False, default="running"),  # running|done|failed|interrupted
    sa.Column("summary", sa.JSON),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    # who runs it (migration 0003): a "running" run whose process is gone is marked "interrupted" on open
    sa.Column("pid", sa.Integer),
    sa.Column("host", sa.String(255)),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
)

# Cache of model calls: key = sha256(fingerprint, kind, request) so a rerun evaluates nothing.
outputs = sa.Table(
    "outputs",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # generate|loglikelihood
    sa.Column("fingerprint", sa.String(64), nullable=False, index=True),
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("response", sa.JSON, nullable=False),
    sa.Column("latency_s", sa.Float),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

case_results = sa.Table(
    "case_results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(36), sa.ForeignKey("runs.id"), nullable=False, index=True),
    sa.Column("suite", sa.String(255), nullable=False),
    sa.Column("case_id", sa.String(255), nullable=False),
    sa.Column("model", sa.Text, nullable=False),
    sa.Column("status", sa.String(8), nullable=False),  # pass|fail|error
    sa.Column("score", sa.Float),
    sa.Column("output", sa.Text),
    sa.Column("details", sa.JSON),
    sa.Column("tags", sa.JSON),
    sa.Column("latency_s", sa.Float),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("run_id", "suite", "case_id", "model", name="uq_case_result"),
)

rating_sessions = sa.Table(
    "rating_sessions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("suite", sa.String(255)),
    sa.Column("models", sa.JSON),
    sa.Column("mode", sa.String(16), nullable=False),  # pairwise|single
    sa.Column("k", sa.Integer, nullable=False, default=1),
    sa.Column("config", sa.JSON),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # archived sessions are hidden from the lists and kept in the store (migration 0004)
    sa.Column("archived_at", sa.DateTime(timezone=True)),
)

raters = sa.Table(
    "raters",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False, default="human"),  # human|llm
    sa.Column("role", sa.String(16), nullable=False, default="rater"),  # rater|admin
    sa.Column("token_hash", sa.String(128), unique=True),
    sa.Column("password_hash", sa.String(255)),
    sa.Column("token_expires_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("lang", sa.String(8)),  # the app's language this person last chose (migration 0004)
)

# Signed-in browsers (migration 0004): the app's session cookie holds a random token, the store its SHA-256 and
# expiry, so a reload or a bookmark keeps a person signed in and signing out (or a new link) ends it.
sign_ins = sa.Table(
    "sign_ins",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("rater_id", sa.String(64), sa.ForeignKey("raters.id"), nullable=False, index=True),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

assignments = sa.Table(
    "assignments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.String(36), sa.ForeignKey("rating_sessions.id"), nullable=False, index=True),
    sa.Column("rater_id", sa.String(64), sa.ForeignKey("raters.id"), nullable=False, index=True),
    sa.Column("item_id", sa.String(255), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),  # prompt, outputs, models, left/right order
    sa.Column("done", sa.Boolean, nullable=False, default=False),
    sa.UniqueConstraint("session_id", "rater_id", "item_id", name="uq_assignment"),
)

# Human and LLM verdicts in one shape.
ratings = sa.Table(
    "ratings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(36), index=True),
    sa.Column("session_id", sa.String(36), index=True),
    sa.Column("item_id", sa.String(255), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),  # pairwise|single
    sa.Column("prompt", sa.Text),
    sa.Column("model_a", sa.Text),
    sa.Column("model_b", sa.Text),
    sa.Column("output_a", sa.Text),
    sa.Column("output_b", sa.Text),
    sa.Column("rater", sa.String(255), nullable=False, index=True),
    sa.Column("rater_kind", sa.String(8), nullable=False),  # human|llm
    sa.Column("verdict", sa.String(32)),  # A|B|tie|bothbad|pass|fail|unparsed
    sa.Column("score", sa.Float),
    sa.Column("rationale", sa.Text),
    sa.Column("order_shown", sa.String(8)),  # AB or BA: which model was on the left
    sa.Column("raw", sa.JSON),  # per-order verdicts, judge output
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("session_id", "item_id", "rater", name="uq_rating_once"),
    # covering index for the app's agreement query (migration 0002)
    sa.Index("ix_ratings_session_kind", "session_id", "kind", "item_id", "rater", "verdict", "rater_kind"),
)

battles = sa.Table(
    "battles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(36), index=True),
    sa.Column("suite", sa.String(255)),
    sa.Column("item_id", sa.String(255)),
    sa.Column("model_a", sa.Text, nullable=False),
    sa.Column("model_b", sa.Text, nullable=False),
    sa.Column("winner", sa.String(16), nullable=False),  # model_a|model_b|tie|tie (bothbad)
    sa.Column("judge", sa.String(255)),
    sa.Column("judge_kind", sa.String(8)),  # human|llm|import
    sa.Column("len_a", sa.Integer),
    sa.Column("len_b", sa.Integer),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # covering index for the leaderboard's GROUP BY (migration 0002)
    sa.Index("ix_battles_pair_winner", "model_a", "model_b", "winner", "suite", "judge_kind"),
)

train_metrics = sa.Table(
    "train_metrics",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(36), sa.ForeignKey("runs.id"), nullable=False, index=True),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("split", sa.String(8), nullable=False),  # train|eval
    sa.Column("loss", sa.Float),
    sa.Column("lr", sa.Float),
    sa.Column("tokens_per_s", sa.Float),
    sa.Column("epoch", sa.Float),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
