from rest_framework.routers import DefaultRouter

from .api import OfficeViewSet, ServiceViewSet

router = DefaultRouter()
router.register("services", ServiceViewSet, basename="service")
router.register("offices", OfficeViewSet, basename="office")

urlpatterns = router.urls
