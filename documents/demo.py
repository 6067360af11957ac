"""Demo document types, a demo resident and a second reviewer, loaded by `manage.py seed_demo`.

FOR THE DEMO ONLY: the resident's password and reviewer2's TOTP secret are published (README,
"Documents online"), so anyone can apply as the resident and decide as reviewer1 / reviewer2 —
two officers, so the four-eyes confirmation of a refusal can be shown. Existing rows are left as
they are: running the seed again writes nothing.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from accounts.actions import (
    _resident_create,  # the sign-up without its SMS code step: demo accounts only
    staff_member_create,
    staff_role_grant,
    staff_totp_install,
)
from accounts.selectors import staff_totp_confirmed
from services.models import Office, Service

from .actions import doc_type_publish
from .form_catalogue import SEED_SERVICES, certificate_fields, certificate_materials
from .models import DocumentType

DEMO_RESIDENT_PHONE = "13800000001"
DEMO_RESIDENT_PASSWORD = "onewindow-resident"
REVIEWER2 = ("reviewer2", "ONEWINDOWREVIEW3", "fr-dingwangtai")
STAFF_PASSWORD = "onewindow-demo"  # the one of accounts/demo.py

TYPES = [
    {
        "code": "no-criminal-record", "service": "za-no-criminal-record",
        "name_zh": "无犯罪记录证明", "name_en": "No-criminal-record certificate",
        "number_prefix": "WFZ", "time_limit_days": 3, "validity_months": 3,
        "fields": certificate_fields(), "materials": certificate_materials(),
        "statement_zh": "经查询全国违法犯罪人员信息系统，在上述期间内未发现该人有犯罪记录。",
        "statement_en": (
            "A search of the national records of offences found no criminal record of this "
            "person for the period stated."
        ),
    },
    {
        "code": "exit-entry-record", "service": "crj-entry-exit-record",
        "name_zh": "出入境记录查询", "name_en": "Exit-entry record query",
        "number_prefix": "CRJ", "time_limit_days": 1, "validity_months": 3,
        "fields": certificate_fields(receiving_org=False),
        "materials": certificate_materials(),
        "statement_zh": "经查询，该人在上述期间内的出入境记录如附表所列。",
        "statement_en": "The person's exit and entry records for the period stated are listed.",
    },
]


def _types() -> int:
    """The two documents first online, then the seeded police services (form_catalogue.py);
    each published as version 1."""
    made = 0
    seeded = [{**values, "service": code} for code, values in SEED_SERVICES]
    for values in [*TYPES, *seeded]:
        values = dict(values)
        service = Service.objects.filter(code=values.pop("service")).first()
        if service is None or DocumentType.objects.filter(code=values["code"]).exists():
            continue
        doc_type = DocumentType.objects.create(service=service, **values)
        doc_type_publish(doc_type=doc_type)
        made += 1
    return made


def _resident() -> None:
    if get_user_model()._default_manager.filter(username=DEMO_RESIDENT_PHONE).exists():
        return
    _resident_create(destination=DEMO_RESIDENT_PHONE,
                     password_hash=make_password(DEMO_RESIDENT_PASSWORD), language="zh-hans")


def _reviewer2() -> None:
    username, secret, office_code = REVIEWER2
    office = Office.objects.filter(code=office_code).first()
    if office is None:
        return
    user = get_user_model()._default_manager.filter(username=username).first()
    if user is None:
        user = staff_member_create(username=username, password=STAFF_PASSWORD,
                                   first_name="Reviewer", last_name="Zhao",
                                   email=f"{username}@onewindow.local")
    staff_role_grant(user=user, role="reviewer", office=office)
    if not staff_totp_confirmed(user):
        staff_totp_install(user=user, secret_base32=secret)


def load() -> str:
    made = _types()
    _resident()
    _reviewer2()
    username, secret, office = REVIEWER2
    return (
        f"Documents: {made} document types created. Demo resident: {DEMO_RESIDENT_PHONE} / "
        f"{DEMO_RESIDENT_PASSWORD} (sign in at /zh-hans/account/signin/, apply at "
        f"/zh-hans/documents/). Second reviewer: {username} / {STAFF_PASSWORD}, TOTP {secret}, "
        f"{office}."
    )
