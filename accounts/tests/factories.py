"""Staff for tests: accounts with roles, authenticators, and sessions past the second factor.

`verify_session(client, user)` is what a finished sign-in leaves behind (password and TOTP);
`totp_now(device)` is the code an authenticator app would show at this moment.
"""

import factory
from django.contrib.auth import get_user_model
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.actions import staff_role_grant

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@onewindow.test")
    password = factory.django.Password(PASSWORD)


def staff(role: str | None = None, office=None, **fields):
    """A user holding `role` at `office` (None: every office); no role if `role` is None."""
    user = UserFactory(**fields)
    if role is not None:
        staff_role_grant(user=user, role=role, office=office)
        user.refresh_from_db()
    return user


def totp_device(user) -> TOTPDevice:
    existing = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return existing or TOTPDevice.objects.create(user=user, name="test phone", confirmed=True)


def totp_now(device: TOTPDevice) -> str:
    device.refresh_from_db()
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def verify_session(client, user):
    """Sign `client` in as `user`, second factor included."""
    device = totp_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def resident_data_export(user) -> dict:
    """The resident's data export as they download it from their account page."""
    import json

    from django.test import Client

    client = Client()
    client.force_login(user)
    response = client.post("/zh-hans/account/data/")
    assert response.status_code == 200
    return json.loads(response.content)
