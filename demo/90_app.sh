#!/usr/bin/env bash
# Friday, the experts: open a blind rating session over the week's suite outputs, invite five experts with personal
# links, and print how to start the app. Starting the app is left to the reader: this step must not block.
set -euo pipefail
: "${PY:=.venv/bin/python}"
: "${WORKBENCH_STORE:=$PWD/.workbench/store.db}"
export WORKBENCH_STORE

"$PY" - <<'PY'
import sqlalchemy as sa

from evalkit import people, sessions
from workbench.store import open_store, schema

store = open_store()
name = "Friday experts (demo)"
existing = [s for s in sessions.sessions(store) if s["name"] == name]
if existing:
    sid = existing[0]["id"]
    print(f"session '{name}' exists; progress per expert:")
    for r in sessions.rater_progress(store, sid):
        print(f"  {r['rater_id']:<10} {r['done']} of {r['total']}")
else:
    c = schema.case_results
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(c.c.suite, sa.func.count(sa.distinct(c.c.model)).label("m"),
                                      sa.func.count().label("n")).group_by(c.c.suite)
                            .order_by(sa.desc("m"), sa.desc("n"))).all()
    pick = next((r for r in rows if r.m >= 2), None)
    if pick is None:
        print("no suite has outputs from two models yet (the suites demo step records them); skipping the rating session")
    else:
        with store.engine.connect() as conn:
            models = [m for (m,) in conn.execute(sa.select(c.c.model).where(c.c.suite == pick.suite).distinct()
                                                 .order_by(c.c.model))][:3]
        items = sessions.items_from_suite(store, pick.suite, models, limit=20)
        sid = sessions.create_session(store, name, items, models=models, mode="pairwise", k=2, suite=pick.suite)
        experts = []
        for i in range(1, 6):
            uid = f"expert-{i}"
            try:
                experts.append((uid, people.create_user(store, f"Expert {i}", user_id=uid)[1]))
            except sa.exc.IntegrityError:
                experts.append((uid, people.issue_token(store, uid)))
        load = sessions.assign(store, sid, [u for u, _ in experts], seed=0)
        print(f"rating session '{name}': suite {pick.suite}, models {', '.join(models)}, {len(items)} questions, "
              f"k=2 ratings per pair, {load['expert-1']} pairs per expert")
        print("invite links (send each expert theirs; only a hash is stored, they expire in 14 days):")
        for uid, tok in experts:
            print(f"  {uid}: http://127.0.0.1:8501/?token={tok}")
PY

echo
echo "\$ evalkit app --print-url"
"$PY" -m evalkit app --print-url
echo "(evalkit app serves it on http://127.0.0.1:8501 until Ctrl-C)"
