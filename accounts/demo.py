"""Demo staff, one per role, loaded by `python manage.py seed_demo` after the offices.

FOR THE DEMO ONLY: the passwords and TOTP secrets below are published (README, "Demo staff", and
the output of `make run`) so that anyone can add them to an authenticator app and sign in as each
role. A real deployment creates staff in the admin; each then enrols their own authenticator.
Existing accounts are left exactly as they are: running the seed again writes nothing.
"""

from django.contrib.auth import get_user_model

from .actions import staff_member_create, staff_role_grant, staff_totp_install
from .selectors import staff_totp_confirmed

DEMO_PASSWORD = "onewindow-demo"
DEMO_OFFICE = "fr-dingwangtai"

# username, role, office code (None: every office), TOTP secret (base32), names
DEMO_STAFF = [
    ("clerk1", "clerk", DEMO_OFFICE, "ONEWINDOWCLERK22", "Clerk", "Li"),
    ("reviewer1", "reviewer", DEMO_OFFICE, "ONEWINDOWREVIEW2", "Reviewer", "Wang"),
    ("manager1", "manager", DEMO_OFFICE, "ONEWINDOWMANAGER", "Manager", "Zhang"),
    ("auditor1", "auditor", None, "ONEWINDOWAUDITOR", "Auditor", "Liu"),
    ("sysadmin1", "sysadmin", None, "ONEWINDOWSYSADMN", "Sysadmin", "Chen"),
]


def _office(code: str | None):
    if code is None:
        return None
    from django.apps import apps  # services sits above accounts: looked up, never imported

    return apps.get_model("services", "Office").objects.filter(code=code).first()


def _ensure(username: str, role: str, office_code: str | None, secret: str, first: str, last: str):
    user = get_user_model()._default_manager.filter(username=username).first()
    if user is None:
        user = staff_member_create(
            username=username,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            email=f"{username}@onewindow.local",
        )
    office = _office(office_code)
    if office_code is None or office is not None:
        staff_role_grant(user=user, role=role, office=office)
    if not staff_totp_confirmed(user):
        staff_totp_install(user=user, secret_base32=secret)


def table() -> str:
    """The demo staff as printed by seed_demo (and so by `make run`)."""
    rows = [("username", "role", "office", "password", "TOTP secret")]
    rows += [(u, r, o or "all offices", DEMO_PASSWORD, s) for u, r, o, s, *_ in DEMO_STAFF]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


def load() -> str:
    for entry in DEMO_STAFF:
        _ensure(*entry)
    return (
        "Demo staff (sign in at /zh-hans/staff/; add the TOTP secret to an authenticator app; "
        "accounts that already existed were left unchanged):\n" + table()
    )
