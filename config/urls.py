from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# The API lives outside the language prefixes; its language follows Accept-Language.
from accounts.views.audit import audit_heads
from core.metrics import metrics_view
from core.views.health import healthz, readyz
from documents.api_verify import CertificateVerifyView
from documents.views.certificates import published_keys

# The site's own error pages (core/views/errors.py); CSRF failures: settings.CSRF_FAILURE_VIEW.
handler400 = "core.views.errors.bad_request"
handler403 = "core.views.errors.permission_denied"
handler404 = "core.views.errors.page_not_found"
handler500 = "core.views.errors.server_error"

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
    path("staff/audit/", include("accounts.urls.audit")),
    path("staff/console/", include("queues.urls.staff")),
    path("staff/reports/", include("reports.urls")),
    path("staff/feedback/", include("feedback.urls.staff")),
    path("staff/documents/", include("documents.urls.review")),
    path("staff/", include("accounts.urls.staff")),
    path("", include("core.urls")),
    path("", include("services.urls")),
    path("book/", include("appointments.urls")),
    path("account/", include("accounts.urls.resident")),
    path("documents/", include("documents.urls.resident")),
    path("verify/", include("documents.urls.verify")),
    path("queue/screen/", include("queues.urls.screen")),
    path("queue/", include("queues.urls.resident")),
    path("feedback/", include("feedback.urls.resident")),
    path("unlock/", include("accounts.urls.unlock")),
    prefix_default_language=True,
)

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
