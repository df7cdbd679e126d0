from django.contrib import admin
from django.urls import include, path

from portal.login import RateLimitedLoginView
from tiles.iip_views import iip_endpoint

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", RateLimitedLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("portal.api.urls")),
    path("iip/", iip_endpoint, name="iip"),
    path("", include("frontend.urls")),
]
