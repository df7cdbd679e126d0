from django.contrib import admin
from django.urls import include, path

from portal.login import RateLimitedLoginView, one_time_login
from tiles.iip_views import iip_endpoint

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", RateLimitedLoginView.as_view(), name="login"),
    path("accounts/once/<str:token>/", one_time_login, name="one-time-login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("portal.api.urls")),
    path("iip/", iip_endpoint, name="iip"),
    path("", include("frontend.urls")),
]

handler400 = "portal.errorpages.bad_request"
handler404 = "portal.errorpages.not_found"
handler403 = "portal.errorpages.permission_denied"
handler500 = "portal.errorpages.server_error"
