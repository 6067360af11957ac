"""Refusals of document-request actions: each with its translated message, API code and HTTP
status (core.errors.DomainError), so pages, API and admin report them alike."""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, IllegalTransition


class TransitionNotAllowed(IllegalTransition):
    code = "not_allowed"
    status = 403
    message = _("You may not take this action on this request.")


class MessageRequired(DomainError):
    code = "message_required"
    message = _("Please write a message for the resident.")


class ReasonRequired(DomainError):
    code = "reason_required"
    message = _("Please give the reason; the resident will see it.")


class RequestNotEditable(DomainError):
    code = "not_editable"
    status = 409
    message = _("This request has been submitted and can no longer be changed.")


class MaterialsMissing(DomainError):
    code = "materials_missing"
    message = _("Please upload: %(missing)s.")


class SecondFactorStale(DomainError):
    code = "second_factor_required"
    status = 403
    message = _("Enter a current code from your authenticator app to confirm this decision.")


class DecisionPending(DomainError):
    code = "decision_pending"
    status = 409
    message = _("A refusal or revocation of this request is already waiting for confirmation.")


class NoPendingDecision(DomainError):
    code = "no_pending_decision"
    status = 409
    message = _("There is no decision waiting for confirmation.")


class OwnProposal(DomainError):
    code = "own_proposal"
    status = 403
    message = _("A second officer must confirm this: you cannot confirm your own proposal.")


class OfficeNotOffering(DomainError):
    code = "office_not_offering"
    message = _("This office does not handle this document. Please choose another office.")
