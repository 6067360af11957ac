"""Writes to user accounts."""

from django.contrib.auth import get_user_model
from django.db import transaction


@transaction.atomic
def user_ensure_superuser(*, username: str, email: str, password: str) -> bool:
    """Create a superuser unless the username is taken; never touch an existing account.

    Returns whether the user was created.
    """
    user_model = get_user_model()
    if user_model._default_manager.filter(username=username).exists():
        return False
    user_model._default_manager.create_superuser(username=username, email=email, password=password)
    return True
