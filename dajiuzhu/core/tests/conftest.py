import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages():
    """Tests match the English source messages unless they switch to Chinese themselves.

    (Pages still render in the request's language: LocaleMiddleware activates it per request.)
    """
    with translation.override("en"):
        yield
