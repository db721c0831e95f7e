import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages():
    """Tests match the English source messages unless they switch to Chinese themselves."""
    with translation.override("en"):
        yield
