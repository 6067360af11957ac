import pytest


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run after-commit side effects (messages) as they would run in production."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def place(db):
    from feedback.tests.factories import office_setup

    return office_setup()
