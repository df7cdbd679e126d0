from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from catalogs.views import CatalogViewSet
from portal.api.views import CollectionViewSet, ImageViewSet
from portal.login import ThrottledObtainAuthToken

router = DefaultRouter()
router.register("collections", CollectionViewSet, basename="collection")
router.register("images", ImageViewSet, basename="image")
router.register("catalogs", CatalogViewSet, basename="catalog")

urlpatterns = [
    path("", include("tiles.urls")),
    path("", include(router.urls)),
    path("token/", ThrottledObtainAuthToken.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script from a URL: no inline script.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="frontend/swagger_ui.html"
        ),
        name="api-docs",
    ),
]

# Sky context: object names and survey catalogs (catalogs/lookup_views.py).
from catalogs.lookup_views import ResolveView, SurveyFeaturesView, SurveyListView  # noqa: E402

urlpatterns += [
    path("resolve/", ResolveView.as_view(), name="resolve-name"),
    path("images/<int:image_id>/surveys/", SurveyListView.as_view(), name="image-surveys"),
    path(
        "images/<int:image_id>/surveys/<slug:survey>/",
        SurveyFeaturesView.as_view(),
        name="image-survey-features",
    ),
]

# The colormaps' tables for the client's colour bar (tiles/colormap_views.py).
from tiles.colormap_views import ColormapsView  # noqa: E402

urlpatterns += [path("colormaps/", ColormapsView.as_view(), name="colormaps")]
