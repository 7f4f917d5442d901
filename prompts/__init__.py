"""The answerers' prompt templates (*.txt), shipped as package data; read them with assistant.prompts.load_prompt."""
