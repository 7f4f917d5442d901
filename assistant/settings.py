"""All configuration in one typed object: defaults, then a TOML file, a .env file and environment variables.

Precedence (highest first): explicit arguments, environment variables (``ASSISTANT_<GROUP>__<FIELD>``, plus the
conventional ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``SLACK_*`` names), ``.env``, the TOML file
(``assistant.toml`` in the working directory, or the path in ``ASSISTANT_CONFIG``), then the defaults below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

APP_NAME = "news-assistant"


def _data_dir() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / APP_NAME


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / APP_NAME


class IngestSettings(BaseModel):
    """How article files become chunks."""

    chunk_tokens: int = Field(256, ge=32, le=8192, description="Maximum tokens per chunk (tiktoken cl100k_base).")
    chunk_overlap: int = Field(32, ge=0, description="Tokens of trailing sentences repeated at the start of the next chunk.")
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are reported and skipped.")
    batch_size: int = Field(64, ge=1, description="Chunks embedded and written per batch.")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> IngestSettings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError("ingest.chunk_overlap must be smaller than ingest.chunk_tokens")
        return self


class StoreSettings(BaseModel):
    """Where the Chroma collection lives: a local directory, or a `chroma run` server when `host` is set."""

    path: Path = Field(default_factory=lambda: _data_dir() / "store", description="Directory of the embedded store.")
    host: str | None = Field(None, description="Chroma server host; when set the server is used instead of `path`.")
    port: int = Field(8000, ge=1, le=65535, description="Chroma server port.")
    collection: str = Field("news", description="Collection name.")


class EmbeddingSettings(BaseModel):
    """Which model turns text into vectors."""

    kind: Literal["minilm", "openai"] = Field("minilm", description="`minilm` (offline int8 ONNX) or `openai`.")
    openai_model: str = Field("text-embedding-3-small", description="Model name when kind is `openai`.")
    max_length: int = Field(256, ge=16, le=512, description="Token limit of the MiniLM embedder.")
    cache_dir: Path = Field(default_factory=_cache_dir, description="Vector cache and optimised model files.")


class RetrievalSettings(BaseModel):
    """How passages are found."""

    k: int = Field(5, ge=1, le=100, description="Passages retrieved per question.")
    min_relevance: float = Field(
        0.2, ge=0.0, le=1.0, description="Best passage must score at least this (cosine) or the question is refused."
    )


class LLMSettings(BaseModel):
    """Which answerer writes the answer and how it reaches its model."""

    mode: Literal["auto", "openai", "local", "extractive"] = Field(
        "auto", description="`auto`: openai if a key or base URL is set, else local if installed, else extractive."
    )
    model: str = Field("gpt-4o-mini", description="Model name sent to the OpenAI-compatible server.")
    api_key: SecretStr | None = Field(None, description="API key (also read from OPENAI_API_KEY).")
    base_url: str | None = Field(None, description="Server URL (also read from OPENAI_BASE_URL).")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: int = Field(400, ge=1, description="Maximum tokens in the written answer.")
    timeout: float = Field(60.0, gt=0, description="Seconds before a model request is abandoned.")
    max_retries: int = Field(2, ge=0, description="Retries with backoff on 429 and 5xx.")
    context_tokens: int = Field(2048, ge=256, description="Token budget for the passages shown to the model.")


class ServerSettings(BaseModel):
    """`assistant serve`: the web page, the HTTP API and the Slack endpoint."""

    host: str = Field("127.0.0.1", description="Bind address.")
    port: int = Field(8080, ge=1, le=65535, description="Bind port.")
    api_token: SecretStr | None = Field(None, description="Bearer token for /api; required off loopback.")
    max_concurrency: int = Field(8, ge=1, description="Requests answered at once; more get 429.")
    max_request_bytes: int = Field(64_000, ge=1024, description="Larger request bodies get 413.")


class SlackSettings(BaseModel):
    """The Slack bot."""

    bot_token: SecretStr | None = Field(None, description="xoxb- token (also SLACK_BOT_TOKEN).")
    signing_secret: SecretStr | None = Field(None, description="Request signing secret (also SLACK_SIGNING_SECRET).")
    app_token: SecretStr | None = Field(None, description="xapp- token for Socket Mode (also SLACK_APP_TOKEN).")
    api_base_url: str = Field("https://slack.com/api/", description="Slack Web API base URL.")


_CONVENTIONAL_ENV = {
    ("llm", "api_key"): "OPENAI_API_KEY",
    ("llm", "base_url"): "OPENAI_BASE_URL",
    ("slack", "bot_token"): "SLACK_BOT_TOKEN",
    ("slack", "signing_secret"): "SLACK_SIGNING_SECRET",
    ("slack", "app_token"): "SLACK_APP_TOKEN",
}


class Settings(BaseSettings):
    """Every setting of the assistant."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    ingest: IngestSettings = Field(default_factory=IngestSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("ASSISTANT_CONFIG", "assistant.toml"))
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_path),
        )

    @model_validator(mode="after")
    def _conventional_env(self) -> Settings:
        for (group, field), var in _CONVENTIONAL_ENV.items():
            section = getattr(self, group)
            value = os.environ.get(var)
            if value and getattr(section, field) is None:
                info = type(section).model_fields[field]
                setattr(section, field, SecretStr(value) if "SecretStr" in str(info.annotation) else value)
        return self


class ConfigError(Exception):
    """The configuration cannot be used; the message is one line meant for the user."""


def load_settings(**overrides: object) -> Settings:
    """Build the settings; a malformed file or value becomes a one-line ConfigError."""
    path = Path(os.environ.get("ASSISTANT_CONFIG", "assistant.toml"))
    if "ASSISTANT_CONFIG" in os.environ and not path.is_file():
        raise ConfigError(f"settings file not found: {path}")
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:  # pydantic ValidationError and TOML decode errors are ValueErrors
        raise ConfigError(f"bad configuration: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
    return str(exc).splitlines()[0]
