from django.urls import path

from anju.accounts import views
from anju.accounts.proxy import views as proxy_views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("code/", views.code_start, name="code_start"),
    path("code/enter/", views.code_enter, name="code_enter"),
    path("code/second/", views.code_second, name="code_second"),
    path("me/", views.profile, name="profile"),
    path("me/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("proxy/", proxy_views.proxy_home, name="proxy"),
    path("proxy/record/", proxy_views.proxy_record, name="proxy_record"),
    path("proxy/stop/", proxy_views.proxy_stop, name="proxy_stop"),
    path("proxy/<int:pk>/end/", proxy_views.proxy_end, name="proxy_end"),
    path("proxy/<int:pk>/act/", proxy_views.proxy_act, name="proxy_act"),
    path("locked/", views.locked_list, name="locked"),
    path("locked/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("users/", views.user_list, name="users"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/edit/", views.user_update, name="user_update"),
    path("users/<int:pk>/grant/", views.user_grant, name="user_grant"),
    path("users/<int:pk>/grants/<int:grant_pk>/revoke/", views.user_revoke, name="user_revoke"),
    path("users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
    path("users/<int:pk>/password/", views.user_reset_password, name="user_reset_password"),
]
