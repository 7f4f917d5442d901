"""The base layer of newsdesk-assistant: settings, the shared vocabulary (types), errors and text helpers.

Nothing here imports `ingest` or `assistant`; both import from here. Users import from `assistant`, which re-exports
what they need (`from assistant import Assistant, AssistantError, Settings`).
"""
