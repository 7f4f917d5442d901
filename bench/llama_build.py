"""Speed of the installed llama.cpp build on the local model: prompt and generation tokens per second.

    .venv/bin/python -m bench.llama_build [--repeat 3] [--threads N]

Runs the packaged Gemma 3 270M in-process (this measures the llama.cpp build, not the answerer) on the completion
prompt of the seed question with the Mali article as its passages, greedy, 64 new tokens. Run it once per build
(e.g. the portable wheel of `make install-local` and one built with LLAMA_CMAKE_ARGS="-DGGML_NATIVE=ON" in another
venv) and compare. llama.cpp's own counters give the figures; the median and the best of the runs are shown (the
best is the run least disturbed by other work on the machine).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from assistant.answer_local import default_model_file
from assistant.prompts import completion_prompt
from newsdesk.types import Passage

ROOT = Path(__file__).resolve().parents[1]
SEED = "Who leads the interim government?"
NEW_TOKENS = 64


def seed_prompt() -> str:
    """The completion prompt of the seed question over the Mali article's paragraphs."""
    text = (ROOT / "examples" / "corpus" / "mali-takuba-2020-11-04.txt").read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in text.split("\n\n") if len(p.strip()) > 100][:6]
    passages = [
        Passage(
            chunk_id=f"mali-{i}", article_id="mali", title="France Conducts Counter-Terrorism Operation in Mali",
            source="Reuters", published_at="2020-11-04", text=p, start=0, end=len(p),
        )
        for i, p in enumerate(paragraphs)
    ]
    return completion_prompt(SEED, passages).text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    import llama_cpp

    with tempfile.TemporaryDirectory(prefix="bench-llama-") as tmp:
        model = default_model_file(Path(tmp))
        llm = llama_cpp.Llama(model_path=str(model), n_ctx=4096, n_threads=args.threads, verbose=False)
        prompt = seed_prompt()
        rows = []
        for _ in range(args.repeat):
            llm.reset()  # no prompt cache between runs
            llama_cpp.llama_perf_context_reset(llm.ctx)
            llm.create_completion(prompt, max_tokens=NEW_TOKENS, temperature=0.0)
            perf = llama_cpp.llama_perf_context(llm.ctx)
            rows.append((perf.n_p_eval, 1000 * perf.n_p_eval / perf.t_p_eval_ms, perf.n_eval,
                         1000 * perf.n_eval / perf.t_eval_ms))
    info = llama_cpp.llama_print_system_info().decode()
    features = " ".join(
        part.split(" = ")[0].split(":")[-1].strip() for part in info.split("|") if part.strip().endswith("= 1")
    )
    print(f"llama-cpp-python {llama_cpp.__version__}  threads: {args.threads}  cores: {os.cpu_count()}  "
          f"load average: {os.getloadavg()[0]:.2f}")
    print(f"CPU features compiled in: {features}")
    print(f"prompt tokens: {rows[0][0]}  prompt tok/s: median {statistics.median(r[1] for r in rows):.0f}, best "
          f"{max(r[1] for r in rows):.0f}  generated: {rows[0][2]}  generation tok/s: median "
          f"{statistics.median(r[3] for r in rows):.1f}, best {max(r[3] for r in rows):.1f}")


if __name__ == "__main__":
    main()
