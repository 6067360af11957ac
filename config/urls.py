from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# The API lives outside the language prefixes; its language follows Accept-Language.
from accounts.views_audit import audit_heads
from core.metrics import metrics_view
from core.views import healthz, readyz
from documents.api_verify import CertificateVerifyView
from documents.views_certificates import published_keys

# The site's own error pages (core/views_errors.py); CSRF failures: settings.CSRF_FAILURE_VIEW.
handler400 = "core.views_errors.bad_request"
handler403 = "core.views_errors.permission_denied"
handler404 = "core.views_errors.page_not_found"
handler500 = "core.views_errors.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", include("services.api_urls")),
    path("api/v1/", include("appointments.api_urls")),
    path("api/v1/", include("documents.api_urls")),
    path("api/v1/certificates/verify/", CertificateVerifyView.as_view(),
         name="api-certificate-verify"),
    # The issuer's public keys, for verifying certificate QR codes offline (documents/).
    path(
        ".well-known/onewindow-certificate-keys.json", published_keys,
        name="certificate-keys",
    ),
    # The signed heads of the sealed audit trail, for auditors to keep (accounts/audit_seal.py).
    path(".well-known/onewindow-audit-heads.json", audit_heads, name="audit-heads"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("staff/audit/", include("accounts.urls_audit")),
    path("staff/console/", include("queues.urls_staff")),
    path("staff/reports/", include("reports.urls")),
    path("staff/feedback/", include("feedback.urls_staff")),
    path("staff/documents/", include("documents.urls_review")),
    path("staff/", include("accounts.urls")),
    path("", include("core.urls")),
    path("", include("services.urls")),
    path("book/", include("appointments.urls")),
    path("account/", include("accounts.urls_resident")),
    path("documents/", include("documents.urls")),
    path("verify/", include("documents.urls_verify")),
    path("queue/screen/", include("queues.urls_screen")),
    path("queue/", include("queues.urls")),
    path("feedback/", include("feedback.urls")),
    path("unlock/", include("accounts.urls_unlock")),
    prefix_default_language=True,
)

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
