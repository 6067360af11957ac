import pytest
from django.utils.functional import empty

from core.uploads import private_storage


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    """Uploaded materials go to a temporary folder, never the developer's private/ folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    private_storage._wrapped = empty
    yield
    private_storage._wrapped = empty
