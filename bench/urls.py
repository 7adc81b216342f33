"""The application's URLs plus the floor the board is measured against."""

from django.urls import path

from bench.baseline import baseline_board
from config.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("bench/baseline/<slug:slug>/board/", baseline_board, name="bench_baseline_board"),
    *app_urlpatterns,
]
