"""Domain errors. Each carries its own translated message, a stable code for the API and the
HTTP status it maps to, so pages, API and admin report a refusal the same way."""

from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "error"
    status = 400
    message: "str | StrPromise" = _("The request could not be completed.")

    def __init__(self, message: "str | StrPromise | None" = None, **params: object) -> None:
        self.params = params
        if message is not None:
            self.message = message
        super().__init__(str(self.message))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = _("Nothing was found.")


class IllegalTransition(DomainError):
    code = "illegal_transition"
    status = 409
    message = _("This action is not possible in the current state.")
