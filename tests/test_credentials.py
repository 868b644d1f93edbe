"""The secrets travel in one value that names none of them when printed, and come only from the environment
mapping cli.py (or web/asgi.py) hands in."""

from __future__ import annotations

from conftest import TEST_SECRET
from newsletter.credentials import VARIABLES, Credentials


def test_each_secret_comes_from_its_variable_and_no_repr_shows_one() -> None:
    environ = {variable: f"value-of-{variable}-" + "x" * 40 for variable in VARIABLES.values()}
    credentials = Credentials.from_environment({**environ, "UNRELATED": "nothing"})
    for name, variable in VARIABLES.items():
        assert getattr(credentials, name) == environ[variable]
    shown = f"{credentials!r} {credentials} {[credentials]}"
    assert shown.count("value-of-") == 0 and "xxxx" not in shown
    assert Credentials.from_environment({}) == Credentials()


def test_the_secret_follows_the_token_rules() -> None:
    credentials = Credentials(newsletter_secret=TEST_SECRET.decode())
    assert credentials.secret(required=True) == (TEST_SECRET, "")
    assert credentials.secret_if_set() == TEST_SECRET
    assert Credentials().secret_if_set() is None
    secret, warning = Credentials().secret()
    assert secret and warning.startswith("NEWSLETTER_SECRET is not set")
