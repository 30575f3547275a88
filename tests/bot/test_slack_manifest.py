"""The Slack manifests ask for what the channel handles, and no more."""

import yaml

from tests.conftest import REPO

SLACK = REPO / "docs" / "slack"
SCOPES = {"app_mentions:read", "chat:write", "im:history", "im:read", "commands"}
EVENTS = {"app_home_opened", "app_mention", "message.im"}


def load(name: str) -> dict:
    return yaml.safe_load((SLACK / name).read_text(encoding="utf-8"))


def test_the_default_manifest_is_socket_mode_with_no_address_to_fill_in():
    manifest = load("manifest.yml")
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert "YOUR-HOST" not in (SLACK / "manifest.yml").read_text(encoding="utf-8")
    assert set(settings["event_subscriptions"]["bot_events"]) == EVENTS
    assert settings["interactivity"]["is_enabled"] is True  # suggestion, flag and share buttons
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == SCOPES
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/kratom-info"]
    assert [(c["type"], c["callback_id"]) for c in manifest["features"]["shortcuts"]] == [("message", "kratom_ask_message")]
    assert len(manifest["display_information"]["description"]) <= 140


def test_the_http_manifest_is_the_same_app_with_request_urls():
    socket, http = load("manifest.yml"), load("manifest-http.yml")
    assert http["settings"]["socket_mode_enabled"] is False
    url = "https://YOUR-HOST/webhooks/slack/webhook"
    assert http["settings"]["event_subscriptions"]["request_url"] == url
    assert http["settings"]["interactivity"]["request_url"] == url
    assert [c["url"] for c in http["features"]["slash_commands"]] == [url]
    assert http["oauth_config"] == socket["oauth_config"]
    assert http["features"]["shortcuts"] == socket["features"]["shortcuts"]
    assert http["settings"]["event_subscriptions"]["bot_events"] == socket["settings"]["event_subscriptions"]["bot_events"]
    assert [c["command"] for c in http["features"]["slash_commands"]] == [c["command"] for c in socket["features"]["slash_commands"]]
