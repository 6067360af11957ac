from rest_framework.routers import DefaultRouter

from .api import BundleViewSet, OfficeViewSet, ServiceViewSet

router = DefaultRouter()
router.register("services", ServiceViewSet, basename="service")
router.register("offices", OfficeViewSet, basename="office")
router.register("bundles", BundleViewSet, basename="bundle")

urlpatterns = router.urls
