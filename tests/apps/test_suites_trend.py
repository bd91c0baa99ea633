"""The Suites page's trend tab: every run of the picked suite in time order with the history's pass rates."""

from __future__ import annotations

from evalkit.suites.history import suite_history


def test_trend_tab_shows_the_suite_history(admin_app):
    at, st, out = admin_app
    at.switch_page("views/suites.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Trend" in [tab.label for tab in at.tabs]
    hist = suite_history(st, "helpdesk")["runs"]
    table = at.dataframe[-1].value
    assert list(table["Run"]) == [r["run_id"][:8] for r in hist]
    assert [round(x, 4) for x in table["Pass rate"]] == [round(r["pass_rate"], 4) for r in hist]
