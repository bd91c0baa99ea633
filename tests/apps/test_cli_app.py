"""`evalkit app --print-url`: a fresh admin link that signs in, and the old one stops working."""

from __future__ import annotations

import re

import pytest

from evalkit import people
from evalkit.cli import main


def test_print_url_issues_a_working_admin_link(store, capsys):
    assert main(["app", "--store", store.url, "--print-url", "--port", "8600"]) == 0
    first = re.search(r"http://127\.0\.0\.1:8600/\?token=(\S+)", capsys.readouterr().out).group(1)
    assert people.login_token(store, first).is_admin
    assert main(["app", "--store", store.url, "--print-url"]) == 0
    second = re.search(r"\?token=(\S+)", capsys.readouterr().out).group(1)
    assert people.login_token(store, second).id == "admin"
    with pytest.raises(people.AuthError, match="forged"):
        people.login_token(store, first)  # rotated: the previous admin link no longer opens the app
