"""URLs of the demo project."""

from django.urls import include, path

urlpatterns = [
    path("api/", include("demo.catalog.urls")),
]
