"""examples/slack-manifest.yaml, the app to paste into Slack's "Create New App → From a manifest", asks for what the
bot needs: the scopes `assistant slack check` requires and the events the bot answers."""

from __future__ import annotations

from pathlib import Path

import yaml

from assistant.frontends.slack import BOT_EVENTS, BOT_SCOPES

MANIFEST = Path(__file__).resolve().parents[2] / "examples" / "slack-manifest.yaml"


def test_the_manifest_asks_for_the_scopes_and_events_the_code_needs() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert manifest["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == list(BOT_EVENTS)


def test_the_manifest_sets_up_socket_mode_buttons_and_direct_messages() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True  # `assistant slack`; no request URL is needed then
    assert "request_url" not in settings["event_subscriptions"]
    assert settings["interactivity"] == {"is_enabled": True}  # the 👍 / 👎 buttons
    home = manifest["features"]["app_home"]
    assert home["messages_tab_enabled"] is True and home["messages_tab_read_only_enabled"] is False
    assert manifest["features"]["bot_user"]["display_name"] == "newsbot"
    assert manifest["display_information"]["name"] == "News assistant"
