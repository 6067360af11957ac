"""Certificates on the web.

    /<lang>/verify/               anyone: number + verification code → valid / expired / revoked /
                                  not found, with the masked essentials only
    /<lang>/verify/q/<payload>/   the QR landing page (the payload is signed, not personal data)
    /<lang>/documents/r/<ref>/certificate.pdf   the holder's PDF (the request's owner, or staff
                                  of the office past the second factor); anyone else gets 404
    /.well-known/onewindow-certificate-keys.json   the issuer's public keys

The verification pages are rate-limited per address, never cached and not indexed: a verification
page that search engines list, or that answers without limit, becomes a harvesting tool.
"""

from django import forms
from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.selectors import user_is_resident
from core import signing
from core.ratelimit import address_hit
from core.uploads import private_storage
from core.views.errors import too_many_requests
from documents import selectors
from documents.actions import request_read_record
from documents.actions.certificates import (
    CODE_LENGTH,
    Verification,
    certificate_verify,
    certificate_verify_qr,
    code_normalize,
)
from documents.constants import CheckChannel, CheckResult
from documents.models import DocumentRequest

WINDOW_SECONDS = 60
PAYLOAD_FORMAT = (
    "base64url(text) '.' base64url(Ed25519 signature over text); text is "
    "'1|<kid>|<certificate number>|<verification code>|<issued YYYYMMDD>|<valid until YYYYMMDD>'"
)


class VerifyForm(forms.Form):
    number = forms.CharField(
        label=_("Certificate number"), max_length=40,
        help_text=_("Top right on the certificate, e.g. WFZ-2026-12345678."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                      "autocapitalize": "characters"}),
    )
    code = forms.CharField(
        label=_("Verification code"), max_length=60,
        help_text=_("28 letters and digits under “Verify this certificate”; spaces do not matter."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                      "autocapitalize": "characters"}),
    )

    def clean_code(self) -> str:
        code = code_normalize(self.cleaned_data["code"])
        if len(code) != CODE_LENGTH:
            raise forms.ValidationError(
                _("The verification code has %(n)s letters and digits; this one has %(got)s."),
                params={"n": CODE_LENGTH, "got": len(code)},
            )
        return code


def verify_allowed(request: HttpRequest) -> bool:
    """At most CERTIFICATES["VERIFY_PER_MINUTE"] checks per address and minute."""
    limit = settings.CERTIFICATES["VERIFY_PER_MINUTE"]
    return address_hit(request, "certificate-verify", limit=limit, seconds=WINDOW_SECONDS)


def _noindex(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _too_many(request: HttpRequest) -> HttpResponse:
    return _noindex(
        too_many_requests(request, template="documents/verify_limited.html", retry_after_seconds=60)
    )


def _result_page(request: HttpRequest, result: Verification, channel: str) -> HttpResponse:
    context = {"result": result, "channel": channel, "statuses": CheckResult}
    return _noindex(render(request, "documents/verify_result.html", context))


@never_cache
@require_http_methods(["GET", "POST"])
def verify_form(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.POST or None)
    if request.method == "POST":
        if not verify_allowed(request):
            return _too_many(request)
        if form.is_valid():
            result = certificate_verify(
                number=form.cleaned_data["number"], code=form.cleaned_data["code"],
                channel=CheckChannel.WEB,
            )
            return _result_page(request, result, CheckChannel.WEB)
    status = 400 if form.errors else 200
    return _noindex(render(request, "documents/verify_form.html", {"form": form}, status=status))


@never_cache
@require_GET
def verify_qr(request: HttpRequest, payload: str) -> HttpResponse:
    if not verify_allowed(request):
        return _too_many(request)
    return _result_page(request, certificate_verify_qr(payload=payload[:400]), CheckChannel.QR)


@require_GET
def published_keys(request: HttpRequest) -> JsonResponse:
    body = {**signing.published_keys(), "payload_format": PAYLOAD_FORMAT}
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _request_for_download(request: HttpRequest, reference: str) -> DocumentRequest:
    user = request.user
    if not user.is_authenticated:
        raise Http404
    try:
        if user_is_resident(user):
            return selectors.request_get_for_resident(user, reference=reference)
        # Staff outside /staff/: the second factor is checked here, as the middleware would.
        if user.is_staff and user.is_verified():
            return selectors.request_get_for_staff(user, reference=reference)
    except DocumentRequest.DoesNotExist:
        pass
    raise Http404


@never_cache
@require_GET
def certificate_pdf(request: HttpRequest, reference: str) -> FileResponse:
    req = _request_for_download(request, reference)
    certificate = getattr(req, "certificate", None)
    if certificate is None or not certificate.pdf:
        raise Http404
    if req.user_id != request.user.pk:  # staff looking at a resident's document: audited
        request_read_record(request=req, actor=request.user, http_request=request,
                            what="certificate")
    response = FileResponse(
        private_storage.open(certificate.pdf.name, "rb"), content_type="application/pdf",
        as_attachment=True, filename=f"{certificate.number}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
