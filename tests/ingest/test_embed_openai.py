"""OpenAI embeddings (`embedding.kind = openai`) against a stand-in OpenAI API that refuses every request
(tests/fixtures/openai_api.py): each failure is a one-line EmbeddingError naming the server, never the key."""

from __future__ import annotations

import pytest

from ingest.embed import make_embeddings
from newsdesk.errors import EmbeddingError
from tests.fixtures.openai_api import RefusingOpenAI

KEY = "sk-embed-canary-0123456789abcdef"


@pytest.mark.parametrize(
    ("status", "problem"),
    [
        (401, "rejected the API key (HTTP 401)"),
        (403, "refused access with this API key (HTTP 403)"),
        (404, "has no model 'text-embedding-3-small' (HTTP 404)"),
        (500, "answered HTTP 500: Error code: 500 - The server had an error while processing your request. Sorry "
              "about that!"),
    ],
)
def test_a_failed_request_is_a_one_line_error_without_the_key(
    refusing_openai: RefusingOpenAI, status: int, problem: str
) -> None:
    url = refusing_openai.url(status)
    embeddings, _ = make_embeddings("openai", openai_api_key=KEY, openai_base_url=url, openai_max_retries=0)
    for call in (lambda: embeddings.embed_documents(["Four cranes."]), lambda: embeddings.embed_query("Cranes?")):
        with pytest.raises(EmbeddingError) as err:
            call()
        assert str(err.value) == f"the embedding server at {url} {problem}"
        assert err.value.__cause__ is None and err.value.__suppress_context__  # a traceback shows no upstream error
    assert KEY in refusing_openai.keys  # the key was really sent (and a 401 quoted it back)
