"""The KPI dashboard's URLs (under /kpi/)."""

from django.urls import path

from frontend import kpi_views

urlpatterns = [
    path("", kpi_views.kpi, name="kpi"),
    path("<slug:name>.csv", kpi_views.kpi_csv, name="kpi_csv"),
]
