from django.urls import path

from frontend import views

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<slug:slug>/", views.collection_page, name="collection-page"),
    path("images/<int:pk>/", views.image_page, name="image-page"),
    path("search/", views.search_page, name="search"),
    path("compare/", views.compare_page, name="compare"),
]
