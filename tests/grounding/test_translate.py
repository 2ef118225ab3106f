"""The claim translator (rag.grounding.translate): memoised, timed, one line, None on failure.

The backend is a scripted fake where the test is about the translator's bookkeeping; the
last test translates with the real local model.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rag.config import Settings
from rag.errors import BackendError
from rag.grounding.translate import Translator
from rag.llm.base import Backend, Request, get_backend


class Scripted(Backend):
    name = "scripted"

    def __init__(self, reply: str = "", fail: bool = False) -> None:
        self.reply, self.fail = reply, fail
        self.requests: list[Request] = []

    def stream(self, request: Request) -> Iterator[str]:
        self.requests.append(request)
        if self.fail:
            raise BackendError("the model is gone")
        yield self.reply


def test_each_claim_and_language_is_asked_once_and_timed():
    backend = Scripted("The port opened in 1999.\nNote: a literal translation.")
    translate = Translator(backend)
    assert translate("Le port a ouvert en 1999.", "en") == "The port opened in 1999."
    assert translate("Le port a ouvert en 1999.", "en") == "The port opened in 1999."
    assert len(backend.requests) == 1 and backend.requests[0].temperature == 0.0
    assert "English" in backend.requests[0].messages[0]["content"]
    assert [c["text"] for c in translate.calls] == ["The port opened in 1999."]
    assert isinstance(translate.calls[0]["ms"], float)


def test_a_failing_or_silent_backend_gives_no_translation():
    assert Translator(Scripted(fail=True))("Le port a ouvert.", "en") is None
    assert Translator(Scripted(""))("Le port a ouvert.", "en") is None


@pytest.mark.llm
def test_the_local_model_translates_a_claim_keeping_its_number():
    translate = Translator(get_backend(Settings(llm_backend="llamacpp")))
    out = translate("Le pont de Lorvik a été reconstruit en 2019.", "en")
    assert out is not None and "2019" in out and "Lorvik" in out
    assert "bridge" in out.lower()
