import pytest


@pytest.fixture
def catalogue(db, monkeypatch):
    """The demo catalogue of items and standards (programs), as the cases tests use it."""
    from dajiuzhu.programs import evaluation
    from dajiuzhu.programs.catalogue import ensure_demo_catalogue

    monkeypatch.setattr(evaluation, "_COMPILED", {})
    ensure_demo_catalogue()
