from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# The API lives outside the language prefixes; its language follows Accept-Language.
from core.views import healthz, readyz
from documents.api_verify import CertificateVerifyView
from documents.views_certificates import published_keys

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
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
