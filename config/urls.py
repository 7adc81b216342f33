from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from frontend import views

admin.site.site_header = admin.site.site_title = "Kernteam"
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("teams/<slug:slug>/board/", views.board, name="board"),
    path("teams/<slug:slug>/signal/", views.board_signal, name="board_signal"),
    path("residents/<int:pk>/", views.resident, name="resident"),
    path("residents/<int:pk>/move/", views.resident_move, name="resident_move"),
    path("residents/<int:pk>/add/<slug:what>/", views.resident_add, name="resident_add"),
    path("actions/<int:pk>/done/", views.action_done, name="action_done"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
