"""Evidence in the LLM's context, by context budget (``Settings.context_tokens``).

    python -m bench.context [--out bench/results/context.json]

For each dataset (dev and test over seeds/, every eval/<name>/test.jsonl over its corpus):
a fresh index in a temp dir with the default embedder, ``retrieve(k=context_candidates)``
for every answerable question with evidence, the sentences ranked and compressed to each
budget exactly as the read path does (``rag.context``), and the share of questions with an
evidence quote inside the context. The question is read as asked (no translation: that
needs the LLM), so French and Italian figures are a lower bound for the local model.
With ``--english-from RESULT.json ...`` (``rag eval`` results of an LLM backend), a French
or Italian question that has the LLM's English wording in one of those runs is searched and
ranked with it too, as the read path does; questions without one are read as asked.
``candidates`` is the ceiling: evidence anywhere in the retrieved passages;
``candidates_any_language`` also counts a quote found in a translation of one of them
(``rag.parallel``: retrieval keeps one language of a paragraph, the dataset may quote
another).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from pathlib import Path

from bench.embedders import datasets
from rag.config import Settings
from rag.context import compress, rank_sentences
from rag.eval.datasets import load_dataset
from rag.eval.metrics import matching_quotes
from rag.index import open_index
from rag.retrieve import retrieve
from rag.sync import sync_corpus

BUDGETS = (256, 384, 512, 768)


def english_wordings(results: list[Path]) -> dict[str, str]:
    """Question -> the LLM's English wording of it, from the condense step of eval records."""
    out: dict[str, str] = {}
    for path in results:
        for q in json.loads(path.read_text(encoding="utf-8")).get("questions", []):
            for step in q.get("trace") or []:
                if step.get("step") == "condense" and step.get("english"):
                    out[q["question"]] = step["english"]
    return out


def measure(
    dataset: Path,
    corpus: Path,
    data: Path,
    english: dict[str, str] | None = None,
) -> dict[str, dict[str, float]]:
    s = Settings(data_dir=data, corpus_dir=corpus, llm_backend="extractive")
    sync_corpus(s)
    index = open_index(s)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for it in load_dataset(dataset):
        if not it.answerable or not it.evidence:
            continue
        en = (english or {}).get(it.question) if it.lang != "en" else None
        also = [en] if en else []
        ps = retrieve(it.question, s, k=s.context_candidates, index=index, also=also, lang=it.lang)
        wordings = [(it.question, it.lang)] + [(w, "en") for w in also]
        ranked = rank_sentences(wordings, ps, index.embedder)
        hits = {"candidates": any(matching_quotes([p.text for p in ps], it.evidence))}
        # The evidence may be quoted from a translation of the paragraph retrieval kept.
        linked = index.get(sorted({t for p in ps for t in p.translations}))
        texts = [p.text for p in [*ps, *linked]]
        hits["candidates_any_language"] = any(matching_quotes(texts, it.evidence))
        for b in BUDGETS:
            ctx = compress(ps, ranked, b)
            hits[str(b)] = any(matching_quotes([p.text for p in ctx], it.evidence))
        for key in (it.lang, "all"):
            counts[key]["n"] += 1
            for name, hit in hits.items():
                counts[key][name] += hit
    return {
        lang: {"n": c["n"], **{k: round(v / c["n"], 3) for k, v in c.items() if k != "n"}}
        for lang, c in sorted(counts.items())
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench/results/context.json")
    ap.add_argument(
        "--english-from",
        nargs="*",
        type=Path,
        default=[],
        metavar="RESULT.json",
        help="rag eval results whose LLM English wordings are used as the read path uses them",
    )
    args = ap.parse_args()
    english = english_wordings(args.english_from)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, dataset, corpus in datasets():
            results[label] = got = measure(dataset, corpus, Path(tmp) / label, english)
            print(label, json.dumps(got["all"]))
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
