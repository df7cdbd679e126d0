from django.urls import path, register_converter

from tiles import views


class FormatConverter:
    regex = "jpg|jpeg|png|webp"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(FormatConverter, "fmt")

urlpatterns = [
    path(
        "images/<int:image_id>/tiles/<int:z>/<int:x>/<int:y>.<fmt:fmt>",
        views.TileView.as_view(),
        name="image-tile",
    ),
    path("images/<int:image_id>/region.<fmt:fmt>", views.RegionView.as_view(), name="image-region"),
    path("images/<int:image_id>/values/", views.ValuesView.as_view(), name="image-values"),
    path("images/<int:image_id>/profile/", views.ProfileView.as_view(), name="image-profile"),
    path("images/<int:image_id>/histogram/", views.HistogramView.as_view(), name="image-histogram"),
    path("images/<int:image_id>/cutout.fits", views.CutoutView.as_view(), name="image-cutout"),
]
