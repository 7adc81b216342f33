"""The application's URLs plus the floors the board and the moves are measured against."""

from django.urls import path

from bench.baseline import baseline_board, baseline_move
from config.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("bench/baseline/<slug:slug>/board/", baseline_board, name="bench_baseline_board"),
    path("bench/baseline/residents/<int:pk>/move/", baseline_move, name="bench_baseline_move"),
    *app_urlpatterns,
]
