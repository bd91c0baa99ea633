"""The leaderboard page's style control (issue 20): the style-adjusted ratings with the unadjusted ones beside, and
each style effect, equal to the ratings package's figures on the stored battles (Streamlit AppTest)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from workbench.store import schema


def test_style_control_shows_adjusted_and_unadjusted_ratings(admin_app):
    from evalkit.ratings import leaderboard

    at, st, _ = admin_app
    at.switch_page("views/leaderboard.py").run()
    at.toggle(key="lb_style").set_value(True).run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    with st.engine.connect() as conn:
        raw = pd.DataFrame(conn.execute(sa.select(schema.battles)).mappings().all())
    ref = leaderboard(
        raw[["model_a", "model_b", "winner", "len_a", "len_b"]],
        bootstrap=200,
        seed=0,
        style_control=True,
        disconnected="split",
    )
    assert dict(zip(table["Model"], table["Rating"])) == ref["ratings"]
    assert dict(zip(table["Model"], table["Unadjusted rating"])) == ref["unadjusted"]["ratings"]
    if ref.get("style"):
        effects = at.dataframe[1].value
        assert list(effects["Feature"]) == list(ref["style"])
