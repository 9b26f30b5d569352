from django.urls import path

from rempart.web.orgs.views import auth, invitations, members, profile, twofactor

app_name = "orgs"

urlpatterns = [
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("signup/", auth.signup, name="signup"),
    path("profile/", profile.profile, name="profile"),
    path("profile/token/", profile.token, name="token"),
    path("totp/setup/", twofactor.totp_setup, name="totp_setup"),
    path("totp/verify/", twofactor.totp_verify, name="totp_verify"),
    path("invite/<str:token>/", invitations.invitation, name="invitation"),
    path("o/<uuid:org>/members/", members.members, name="members"),
    path("o/<uuid:org>/members/invite/", members.invite, name="invite"),
    path("o/<uuid:org>/members/<int:member>/role/", members.member_role, name="member_role"),
    path("o/<uuid:org>/members/<int:member>/remove/", members.member_remove, name="member_remove"),
    path("o/<uuid:org>/audit/", members.audit_log, name="audit"),
]
