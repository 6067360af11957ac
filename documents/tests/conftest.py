import pytest
from django.utils.functional import empty

from core.uploads import private_storage

from .factories import DocumentTypeFactory, office_for


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    """Uploaded materials go to a temporary folder, never the developer's private/ folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    private_storage._wrapped = empty
    yield
    private_storage._wrapped = empty


@pytest.fixture
def doc_type():
    """无犯罪记录证明 (no-criminal-record), the document most tests apply for."""
    return DocumentTypeFactory(code="no-criminal-record")


@pytest.fixture
def office(doc_type):
    """The one office: a police station offering `doc_type`."""
    return office_for(doc_type)
