"""The Blocks app builds without a warning (pytest turns warnings into errors: a handler
Gradio cannot wire, such as an unrecognized LikeData argument, warns) and exposes its API."""

from __future__ import annotations

from rag.config import Settings
from ui.app import _storage_key, build_app


def test_the_app_builds_and_exposes_ask_and_upload(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path, llm_backend="extractive")
    demo = build_app(settings)
    public = {
        d["api_name"]
        for d in demo.get_config_file()["dependencies"]
        if d.get("api_visibility", "public") == "public"
    }
    assert public == {"ask", "upload"}
    assert (tmp_path / "data" / "ui-secret").read_text()  # kept for a restarted server


def test_each_index_has_its_own_browser_key(tmp_path):
    a = Settings(data_dir=tmp_path / "a")
    assert _storage_key(a) == _storage_key(Settings(data_dir=tmp_path / "a"))
    assert _storage_key(a) != _storage_key(Settings(data_dir=tmp_path / "b"))
    assert _storage_key(a) != _storage_key(a.replace(collection="other"))
