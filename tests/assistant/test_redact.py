"""assistant/redact.py: which values are secrets, and how they are masked."""

from __future__ import annotations

from pydantic import SecretStr

from assistant.redact import protect, redact, secret_values
from assistant.settings import Settings


def test_every_secret_field_of_the_settings_is_found_short_ones_aside() -> None:
    settings = Settings()
    settings.llm.api_key = SecretStr(" sk-nested-0001 ")
    settings.slack.bot_token = SecretStr("xoxb-nested-0002")
    settings.slack.signing_secret = SecretStr("short")  # too short to mask without blotting out words
    settings.server.api_token = SecretStr("")
    assert sorted(secret_values(settings)) == ["sk-nested-0001", "xoxb-nested-0002"]


def test_redact_masks_each_occurrence_and_a_longer_secret_whole() -> None:
    settings = Settings()
    settings.llm.api_key = SecretStr("abcdefgh-key")
    settings.server.api_token = SecretStr("abcdefgh-key-and-more")
    protect(settings)
    text = "sent abcdefgh-key-and-more, then abcdefgh-key twice: abcdefgh-key"
    assert redact(text) == "sent ***, then *** twice: ***"
    assert redact("nothing secret here") == "nothing secret here"
