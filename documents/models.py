"""Document requests (申请) and the certificates (证明) they end in.

A request's status changes only through `documents.workflow` (the transition table is in
constants.py). Personal data is stored as the bookings store it: the ID number encrypted
(core/crypto.py) with a keyed HMAC for lookups, and shown masked."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.i18n import Localized
from core.uploads import private_storage
from services.models import Bundle, Office, Service

from .constants import (
    CertificateStatus,
    CheckChannel,
    CheckResult,
    MaterialKind,
    Outcome,
    Purpose,
    RequestStatus,
    Transition,
)
from .definitions import localized


class DocumentType(models.Model):
    """A kind of document residents can request online: its form, time limit and validity."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    service = models.OneToOneField(
        Service,
        on_delete=models.PROTECT,
        related_name="document_type",
        verbose_name=_("service"),
        help_text=_("The catalogue entry this document is requested under."),
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=150)
    number_prefix = models.CharField(
        _("certificate number prefix"), max_length=6, help_text=_("E.g. WFZ for 无犯罪记录证明.")
    )
    time_limit_days = models.PositiveSmallIntegerField(
        _("time limit (working days)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    validity_months = models.PositiveSmallIntegerField(
        _("certificate validity (months)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    # The form and the materials (documents/definitions.py describes their shape). Editing them
    # publishes a new DocumentTypeVersion; a request keeps the version it was made with.
    fields = models.JSONField(
        _("form fields"), default=list, blank=True,
        help_text=_("The questions of the form, in order (see the admin's help for the shape)."),
    )
    materials = models.JSONField(
        _("materials to upload"), default=list, blank=True,
        help_text=_("The files the resident uploads: kind, labels, how many, formats, size."),
    )
    version = models.PositiveIntegerField(_("published version"), default=0, editable=False)
    review_officers = models.PositiveSmallIntegerField(
        _("officers who decide"), choices=[(1, _("one officer")), (2, _("two officers"))],
        default=1,
        help_text=_("Two: an approval proposed by one officer takes effect when a second "
                    "confirms it."),
    )
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.CERTIFICATE,
    )
    statement_zh = models.TextField(
        _("certificate text (Chinese)"),
        help_text=_("The finding printed on the certificate."),
    )
    statement_en = models.TextField(_("certificate text (English)"))
    is_active = models.BooleanField(_("active"), default=True)

    name = Localized("name")
    statement = Localized("statement")

    class Meta:
        ordering = ["code"]
        verbose_name = _("document type")
        verbose_name_plural = _("document types")

    def __str__(self) -> str:
        return self.name_zh


class DocumentTypeVersion(models.Model):
    """A published form of a document type, frozen: requests point to the one they used."""

    doc_type = models.ForeignKey(DocumentType, on_delete=models.CASCADE, related_name="versions",
                                 verbose_name=_("document type"))
    number = models.PositiveIntegerField(_("version"))
    fields = models.JSONField(_("form fields"), default=list)
    materials = models.JSONField(_("materials to upload"), default=list)
    created_at = models.DateTimeField(_("published at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("published by"),
    )

    class Meta:
        ordering = ["doc_type", "-number"]
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        constraints = [
            models.UniqueConstraint(fields=["doc_type", "number"], name="one_number_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.doc_type} v{self.number}"


class BundleApplication(models.Model):
    """One online application for the online parts of a 一件事 bundle: one reference, one status
    page; each part is a DocumentRequest reviewed by its office and decided on its own."""

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    bundle = models.ForeignKey(Bundle, on_delete=models.PROTECT, related_name="applications",
                               verbose_name=_("bundle"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="bundle_applications", verbose_name=_("account"),
    )
    api_client = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bundle application")
        verbose_name_plural = _("bundle applications")

    def __str__(self) -> str:
        return self.reference


class DocumentRequest(models.Model):
    """A resident's online application for a document."""

    encrypted_fields = {
        "applicant_id_enc": "applicant_id_hmac",
        "holder_id_enc": "holder_id_hmac",
    }

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    doc_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, related_name="requests",
        verbose_name=_("document type"),
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="document_requests",
        verbose_name=_("reviewing office"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="document_requests", verbose_name=_("account"),
    )
    api_client = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=10, default="zh-hans")
    # Who applies (the account holder) and who the document is about (the holder).
    applicant_name = models.CharField(_("applicant"), max_length=50)
    applicant_id_enc = models.TextField(blank=True)
    applicant_id_hmac = models.CharField(max_length=64, db_index=True, blank=True, editable=False)
    applicant_id_masked = models.CharField(_("applicant's ID number"), max_length=18, blank=True)
    phone = models.CharField(_("mobile number"), max_length=11)
    email = models.EmailField(_("e-mail"), blank=True)
    on_behalf = models.BooleanField(_("applies for someone else"), default=False)
    holder_name = models.CharField(_("name of the person concerned"), max_length=50)
    holder_id_enc = models.TextField(blank=True)
    holder_id_hmac = models.CharField(max_length=64, db_index=True, blank=True, editable=False)
    holder_id_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    # The form.
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, blank=True)
    purpose_other = models.CharField(_("other purpose"), max_length=100, blank=True)
    receiving_org = models.CharField(_("receiving organisation"), max_length=100, blank=True)
    period_from = models.DateField(_("period from"), null=True, blank=True)
    period_to = models.DateField(_("period until"), null=True, blank=True)
    # The configured form: the version answered, and the answers (ID numbers in them masked here,
    # in full only in the encrypted copy).
    form_version = models.ForeignKey(
        DocumentTypeVersion, on_delete=models.PROTECT, null=True, blank=True,
        related_name="requests", verbose_name=_("form version"),
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    answers_enc = models.TextField(blank=True, editable=False)
    bundle_application = models.ForeignKey(
        BundleApplication, on_delete=models.PROTECT, null=True, blank=True,
        related_name="parts", verbose_name=_("bundle application"),
    )
    # The workflow.
    status = models.CharField(
        _("status"), max_length=14, choices=RequestStatus.choices, default=RequestStatus.DRAFT,
        db_index=True,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # The time limit: `due_on` is the last day; while the resident is asked for more information
    # the clock stops (`paused_at`) and `due_on` moves by the working days it stood still.
    due_on = models.DateField(_("due on"), null=True, blank=True, db_index=True)
    paused_at = models.DateTimeField(_("clock paused at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="reviewed_requests", verbose_name=_("reviewer"),
    )
    info_request = models.TextField(_("information asked for"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="decided_requests", verbose_name=_("decided by"),
    )
    decision_reason = models.TextField(
        _("reason given to the resident"), blank=True,
        help_text=_("Shown to the resident when the request is refused."),
    )

    class Meta:
        ordering = ["due_on", "submitted_at"]
        verbose_name = _("document request")
        verbose_name_plural = _("document requests")
        indexes = [models.Index(fields=["office", "status", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_to__isnull=True) | Q(period_from__isnull=True)
                | Q(period_to__gte=F("period_from")),
                name="request_period_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class RequestMaterial(models.Model):
    """An uploaded file: stored outside the web root, served only to the applicant and to
    authorised staff of the reviewing office."""

    request = models.ForeignKey(
        DocumentRequest, on_delete=models.CASCADE, related_name="materials",
        verbose_name=_("request"),
    )
    kind = models.CharField(_("kind"), max_length=30)
    file = models.FileField(_("file"), storage=private_storage, max_length=200)
    original_name = models.CharField(_("file name"), max_length=120, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self) -> str:
        return f"{self.request} · {self.get_kind_display()}"

    def get_kind_display(self) -> str:
        """The label the form version gives this kind (the built-in kinds as a fallback)."""
        version = self.request.form_version
        for material in version.materials if version else []:
            if material.get("kind") == self.kind:
                return localized(material, "label")
        if self.kind in MaterialKind.values:
            return str(MaterialKind(self.kind).label)
        return self.kind


class RequestEvent(models.Model):
    """The request's history as the resident and the reviewer see it (the audit trail holds the
    tamper-evident copy)."""

    request = models.ForeignKey(
        DocumentRequest, on_delete=models.CASCADE, related_name="events", verbose_name=_("request")
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("by"),
    )
    transition = models.CharField(_("action"), max_length=14, choices=Transition.choices,
                                  blank=True)
    from_status = models.CharField(max_length=14, choices=RequestStatus.choices, blank=True)
    to_status = models.CharField(max_length=14, choices=RequestStatus.choices, blank=True)
    message = models.TextField(_("message"), blank=True)
    visible_to_resident = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("request event")
        verbose_name_plural = _("request events")

    def __str__(self) -> str:
        return f"{self.request} {self.transition}"


class PendingDecision(models.Model):
    """A refusal or revocation proposed by one officer, waiting for a second officer's
    confirmation. Nothing changes until it is confirmed."""

    request = models.ForeignKey(
        DocumentRequest, on_delete=models.CASCADE, related_name="pending_decisions",
        verbose_name=_("request"),
    )
    transition = models.CharField(_("action"), max_length=14, choices=Transition.choices)
    reason = models.TextField(_("reason"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("confirmed by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, blank=True)  # confirmed / declined

    class Meta:
        ordering = ["proposed_at"]
        verbose_name = _("decision awaiting confirmation")
        verbose_name_plural = _("decisions awaiting confirmation")
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(closed_at__isnull=True),
                name="one_open_decision_per_request",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=F("proposed_by")),
                name="decision_confirmed_by_a_second_officer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request} {self.transition}"


class Certificate(models.Model):
    """An issued document. The holder's essentials are copied at issue, so later changes to the
    request cannot alter what a verifier sees. The verification code itself is never stored:
    only its hash (like a password), the PDF carries it."""

    request = models.OneToOneField(
        DocumentRequest, on_delete=models.PROTECT, related_name="certificate",
        verbose_name=_("request"),
    )
    number = models.CharField(_("certificate number"), max_length=30, unique=True)
    code_hash = models.CharField(max_length=64, editable=False)
    doc_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, related_name="certificates",
        verbose_name=_("document type"),
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="certificates",
        verbose_name=_("issuing office"),
    )
    holder_name = models.CharField(_("holder"), max_length=50)
    holder_id_masked = models.CharField(_("ID number"), max_length=18)
    purpose_text = models.CharField(_("purpose"), max_length=120, blank=True)
    receiving_org = models.CharField(_("receiving organisation"), max_length=100, blank=True)
    period_from = models.DateField(_("period from"), null=True, blank=True)
    period_to = models.DateField(_("period until"), null=True, blank=True)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=10, choices=CertificateStatus.choices,
        default=CertificateStatus.VALID,
    )
    # Filled by the issuing task, exactly once (a conditional UPDATE on an empty pdf).
    pdf = models.FileField(_("PDF"), storage=private_storage, max_length=200, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_generated_at = models.DateTimeField(null=True, blank=True)
    # The verification code on its way to the PDF, encrypted, bound to the number; emptied in the
    # same UPDATE that stores the PDF (documents/actions/certificates.py explains why).
    code_enc = models.TextField(blank=True, editable=False)
    notified_at = models.DateTimeField(_("holder notified at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for revocation"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("issued_on")), name="certificate_valid_after_issue"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CertificateCheck(models.Model):
    """One verification of a certificate, so its holder can see when it was checked. No address
    or identity of the verifier is kept, only the channel."""

    certificate = models.ForeignKey(
        Certificate, on_delete=models.CASCADE, null=True, blank=True, related_name="checks",
        verbose_name=_("certificate"),
    )
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    channel = models.CharField(_("channel"), max_length=4, choices=CheckChannel.choices)
    result = models.CharField(_("result"), max_length=10, choices=CheckResult.choices)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")

    def __str__(self) -> str:
        return f"{self.certificate_id} {self.result}"
