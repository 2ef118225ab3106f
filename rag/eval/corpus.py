"""Which corpus a dataset is answered over, and the index that corpus gets.

A dataset answered over the seeds lives in ``eval/`` (``dev.jsonl``, ``test.jsonl``); a
dataset of another corpus lives next to it, ``eval/<name>/test.jsonl`` with the documents
in ``eval/<name>/corpus/``. ``resolve_target`` finds the corpus (``--corpus``, else the
dataset's ``corpus/`` folder when there is one, else ``settings.corpus_dir``), and
``target_settings`` gives a corpus other than the configured one an index of its own
under ``<data_dir>/corpora/<name>``, so two corpora never share (or overwrite) an index.

    target = resolve_target("eval/manuals/test.jsonl", settings)
    target.corpus, target.corpus_name, target.split, target.label
    # (PosixPath('eval/manuals/corpus'), 'manuals', 'test', 'manuals')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import ConfigError
from rag.eval.datasets import split_name

if TYPE_CHECKING:
    from rag.config import Settings
    from rag.sync import SyncReport

__all__ = ["EvalTarget", "corpus_name", "prepare_index", "resolve_target", "target_settings"]


def corpus_name(corpus: str | Path) -> str:
    """A corpus' short name: its folder's name, or the parent's when the folder is called
    ``corpus`` (``eval/manuals/corpus`` -> ``manuals``, ``seeds`` -> ``seeds``)."""
    path = Path(corpus).resolve()
    return path.parent.name if path.name == "corpus" else path.name


@dataclass(frozen=True)
class EvalTarget:
    """A dataset file and the corpus its questions are answered over.

    ``label`` names the run in reports, result files and the gate: the split (``dev``,
    ``test``) on the configured corpus; the corpus' name for the test split of another
    corpus; ``<corpus>-<split>`` for any other split of another corpus.
    """

    dataset: Path
    corpus: Path
    default_corpus: bool

    @property
    def split(self) -> str:
        """``dev``/``test``: the dataset's file name without suffix."""
        return split_name(self.dataset)

    @property
    def corpus_name(self) -> str:
        """See ``corpus_name``."""
        return corpus_name(self.corpus)

    @property
    def label(self) -> str:
        """See the class docstring."""
        if self.default_corpus:
            return self.split
        return self.corpus_name if self.split == "test" else f"{self.corpus_name}-{self.split}"

    def to_dict(self) -> dict[str, Any]:
        """What a result records about where it was measured."""
        return {
            "dataset": str(self.dataset),
            "corpus": str(self.corpus),
            "corpus_name": self.corpus_name,
            "split": self.split,
            "label": self.label,
        }


def resolve_target(
    dataset: str | Path, settings: Settings, corpus: str | Path | None = None
) -> EvalTarget:
    """The corpus for ``dataset``: ``corpus`` if given, else ``<dataset folder>/corpus``
    when that folder exists, else ``settings.corpus_dir``.

    Raises:
        ConfigError: the corpus folder given does not exist.
    """
    dataset = Path(dataset)
    if corpus is not None:
        chosen = Path(corpus)
        if not chosen.is_dir():
            raise ConfigError(f"The corpus folder {chosen} does not exist: check --corpus.")
    elif (dataset.parent / "corpus").is_dir():
        chosen = dataset.parent / "corpus"
    else:
        chosen = Path(settings.corpus_dir)
    default = chosen.resolve() == Path(settings.corpus_dir).resolve()
    return EvalTarget(dataset=dataset, corpus=chosen, default_corpus=default)


def target_settings(settings: Settings, target: EvalTarget) -> Settings:
    """``settings`` pointed at the target's corpus. Another corpus than the configured one
    gets its own data folder (``<data_dir>/corpora/<name>``) and, on a Chroma server, its
    own collection (``<collection>_<name>``)."""
    if target.default_corpus:
        return settings
    name = target.corpus_name
    changes: dict[str, Any] = {
        "corpus_dir": target.corpus,
        "data_dir": Path(settings.data_dir) / "corpora" / name,
    }
    if settings.chroma_url:
        slug = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") or "corpus"
        changes["collection"] = f"{settings.collection}_{slug}"
    return settings.replace(**changes)


def prepare_index(
    settings: Settings, target: EvalTarget, *, progress: bool = False
) -> tuple[Settings, SyncReport]:
    """Settings for the target, with its index synced to the corpus folder as it is now
    (incremental: unchanged files are not re-embedded).

    Raises:
        IngestError: the corpus folder cannot be read.
        EmbeddingMismatchError: its index was built with another embedding model.
    """
    from rag.sync import sync_corpus

    scoped = target_settings(settings, target)
    report = sync_corpus(scoped, corpus=target.corpus, progress=progress)
    return scoped, report
