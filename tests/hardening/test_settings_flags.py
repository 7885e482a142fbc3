"""Yes/no settings are strict: a typo is an error, not a silent "no"."""

from __future__ import annotations

import pytest

from voucher_graph.settings import Settings, SettingsError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
        ("", True),
    ],
)
def test_flags_read_the_usual_spellings(value: str, expected: bool) -> None:
    settings = Settings.from_env(
        {"VOUCHER_GRAPH_GRAPHIQL": value, "VOUCHER_GRAPH_INTROSPECTION": value}
    )
    assert settings.graphiql is expected
    assert settings.introspection is expected


@pytest.mark.parametrize("name", ["VOUCHER_GRAPH_GRAPHIQL", "VOUCHER_GRAPH_INTROSPECTION"])
@pytest.mark.parametrize("value", ["ture", "flase", "2", "enabled"])
def test_a_misspelt_flag_is_refused(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_unset_flags_keep_their_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.graphiql and settings.introspection


def test_the_secret_stays_out_of_the_settings_repr() -> None:
    secret = "s3cret-" * 6
    settings = Settings.from_env({"VOUCHER_GRAPH_JWT_SECRET": secret})
    assert settings.jwt_secret == secret
    assert secret not in repr(settings) and secret not in str(settings)
