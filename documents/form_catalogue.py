"""Ready-made definitions of online services (documents/definitions.py describes the shape): the
two documents that were online first, and the police services the demo seed adds. They are data:
an office manager edits them in the admin; nothing here is read at request time."""

from typing import Any

Def = dict[str, Any]


def field(key: str, kind: str, zh: str, en: str, help_zh: str = "", help_en: str = "",
          required: bool = True, **more: Any) -> Def:
    return {"key": key, "type": kind, "label_zh": zh, "label_en": en, "help_zh": help_zh,
            "help_en": help_en, "required": required, **more}


def option(value: str, zh: str, en: str) -> Def:
    return {"value": value, "label_zh": zh, "label_en": en}


def material(kind: str, zh: str, en: str, help_zh: str = "", help_en: str = "",
             required: str = "always", max_files: int = 1, formats: list[str] | None = None,
             max_mb: int = 5) -> Def:
    return {"kind": kind, "label_zh": zh, "label_en": en, "help_zh": help_zh,
            "help_en": help_en, "required": required, "max_files": max_files,
            "formats": formats or ["pdf", "jpeg", "png"], "max_mb": max_mb}


FILE_HELP_ZH, FILE_HELP_EN = "PDF、JPEG 或 PNG，不超过 5 MB。", "PDF, JPEG or PNG, at most 5 MB."
ID_MATERIALS = [
    material("id_front", "身份证人像面", "ID card, front", FILE_HELP_ZH, FILE_HELP_EN),
    material("id_back", "身份证国徽面", "ID card, back", FILE_HELP_ZH, FILE_HELP_EN),
    material("authorisation", "签字的委托书", "Signed authorisation",
             "代他人申请时必传。PDF、JPEG 或 PNG，不超过 5 MB。",
             "Required when applying for someone else. PDF, JPEG or PNG, at most 5 MB.",
             required="on_behalf"),
]
OTHER_MATERIAL = material("other", "其他材料（选填）", "Other material (optional)",
                          FILE_HELP_ZH, FILE_HELP_EN, required="optional", max_files=3)

PURPOSE = field(
    "purpose", "choice", "用途", "Purpose", choices=[
        option("employment", "就业", "Employment"),
        option("study_abroad", "出国留学", "Study abroad"),
        option("visa", "办理签证", "Visa"),
        option("adoption", "收养", "Adoption"),
        option("other", "其他", "Other"),
    ])
PURPOSE_OTHER = field("purpose_other", "text", "其他用途", "Other purpose",
                      "用途选择“其他”时必填。", "Required when the purpose is “Other”.",
                      max_length=100, show_if={"key": "purpose", "equals": "other"})
RECEIVING_ORG = field("receiving_org", "text", "接收单位", "Receiving organisation",
                      "要求出具证明的用人单位、学校、使领馆或机构。",
                      "The employer, school, embassy or agency that asks for the certificate.",
                      max_length=100)


def period(years: int = 20) -> Def:
    return field(
        "period", "date_range", "查询期间", "Period to be covered",
        "证明所涵盖的时间段：证明将写明这两个日期之间的记录情况。"
        "请按接收单位的要求填写（通常为近 5 "
        f"年）；起始日期不能早于出生日期，截止日期不能晚于今天，最长 {years} 年。",
        "The years the certificate speaks for: it states what the records show between these "
        "two dates. Give the period the receiving organisation asks for (often the last 5 "
        "years); it cannot start before your birth or end after today, and covers at most "
        f"{years} years.",
        max_years=years, not_before_birth=True, not_in_future=True,
    )


def certificate_fields(*, receiving_org: bool = True, years: int = 20) -> list[Def]:
    """The form of the no-criminal-record certificate (and, without the receiving organisation,
    of the exit-entry record query)."""
    return [PURPOSE, PURPOSE_OTHER] + ([RECEIVING_ORG] if receiving_org else []) + [period(years)]


def certificate_materials() -> list[Def]:
    return [*ID_MATERIALS, OTHER_MATERIAL]


ADDRESS = field("address", "address", "现居住地址", "Current address",
                "写到门牌号。", "Down to the house number.", max_length=200)

# The online services the demo seed adds: (catalogue service code, document type values).
SEED_SERVICES: list[tuple[str, Def]] = [
    ("hz-household-certificate", {
        "code": "household-certificate", "name_zh": "户籍证明", "name_en":
        "Household registration certificate", "number_prefix": "HJZ", "time_limit_days": 3,
        "validity_months": 3, "outcome": "certificate",
        "statement_zh": "经查，该人户籍信息如上所列。",
        "statement_en": "The household register shows the particulars stated above.",
        "fields": [
            field("kind", "choice", "证明类别", "Kind of certificate", choices=[
                option("deregistration", "户口注销证明", "Proof of deregistration"),
                option("former_name", "曾用名证明", "Proof of a former name"),
                option("kinship", "亲属关系证明", "Proof of family relationship"),
            ]),
            field("relative_name", "text", "亲属姓名", "Relative's name",
                  show_if={"key": "kind", "equals": "kinship"}, max_length=50),
            field("relative_id", "id_number", "亲属身份证号码", "Relative's ID number",
                  show_if={"key": "kind", "equals": "kinship"}),
            RECEIVING_ORG,
        ],
        "materials": [*ID_MATERIALS, material(
            "booklet", "居民户口簿（户主页及本人页）", "Household booklet (head's and own page)",
            max_files=2), material(
            "supporting", "与证明事项相关的材料", "Documents supporting what is certified",
            "如证明亲属关系，上传相关人员户口簿。",
            "E.g. relatives' household booklets to prove a family relationship.",
            required="optional", max_files=3)],
    }),
    ("hz-residence-permit", {
        "code": "residence-permit", "name_zh": "居住证申领", "name_en":
        "Residence permit application", "number_prefix": "JZZ", "time_limit_days": 15,
        "validity_months": 12, "outcome": "counter",
        "statement_zh": "居住证已制发，请携带身份证到窗口领取。",
        "statement_en": "The residence permit is ready; collect it at the counter with your ID.",
        "fields": [
            ADDRESS,
            field("since", "date", "在本市居住起始日期", "Living in the city since",
                  "须满半年。", "At least six months ago."),
            field("basis", "choice", "申领条件", "Grounds", choices=[
                option("work", "合法稳定就业", "Stable employment"),
                option("home", "合法稳定住所", "Stable home"),
                option("study", "连续就读", "Enrolled in school"),
            ]),
            field("employer", "text", "工作单位", "Employer",
                  show_if={"key": "basis", "equals": "work"}, max_length=100),
        ],
        "materials": [*ID_MATERIALS, material(
            "residence_proof", "居住证明", "Proof of residence",
            "不动产权证书、租赁合同或居住登记凭证。",
            "Title deed, tenancy agreement or residence registration receipt.", max_files=3),
            material("basis_proof", "就业或就读证明", "Proof of employment or study",
                     "劳动合同、营业执照或学籍证明。",
                     "Employment contract, business licence or school enrolment.",
                     required="optional", max_files=2)],
    }),
    ("hz-move-in", {
        "code": "move-in-permit", "name_zh": "户口迁入（准迁证）", "name_en":
        "Household move-in (permit to move)", "number_prefix": "ZQZ", "time_limit_days": 10,
        "validity_months": 1, "outcome": "certificate",
        "statement_zh": "准予迁入本市，凭此证明办理迁入登记。",
        "statement_en": "The move into the city is permitted; register it with this permit.",
        "fields": [
            field("reason", "choice", "迁入类别", "Grounds for moving in", choices=[
                option("marriage", "夫妻投靠", "Joining a spouse"),
                option("parents", "投靠父母", "Joining parents"),
                option("home", "购房落户", "Owning a home"),
                option("talent", "人才引进", "Talent scheme"),
            ]),
            field("from_address", "address", "原户籍地址", "Present household address",
                  max_length=200),
            ADDRESS | {"key": "to_address", "label_zh": "迁入地址",
                       "label_en": "Address moving into"},
            field("members", "number", "随迁人数", "People moving with you",
                  "不含本人。", "Not counting you.", minimum=0, maximum=10, required=False),
        ],
        "materials": [*ID_MATERIALS, material(
            "booklet", "居民户口簿", "Household booklet", max_files=2), material(
            "grounds", "迁入条件证明", "Proof of the grounds",
            "结婚证、不动产权证书或人才引进文件。",
            "Marriage certificate, title deed or talent-scheme letter.", max_files=3)],
    }),
    ("crj-hk-macao-endorsement", {
        "code": "hk-macao-endorsement", "name_zh": "往来港澳通行证再次签注", "name_en":
        "Hong Kong and Macao permit: further endorsement", "number_prefix": "GAQ",
        "time_limit_days": 7, "validity_months": 3, "outcome": "letter",
        "statement_zh": "签注申请已批准，可在自助签注机打印签注。",
        "statement_en": "The endorsement is approved; print it at a self-service kiosk.",
        "fields": [
            field("permit_number", "text", "通行证号码", "Permit number",
                  "卡式通行证正面右上角的 9 位号码。", "The 9 characters top right of the card.",
                  max_length=9),
            field("endorsement", "choice", "签注种类", "Kind of endorsement", choices=[
                option("tourism_1", "团队旅游一次", "Group tour, single entry"),
                option("personal_1", "个人旅游一次", "Individual tour, single entry"),
                option("personal_2", "个人旅游二次", "Individual tour, two entries"),
                option("family", "探亲", "Family visit"),
            ]),
            field("destination", "choice", "前往地", "Destination", choices=[
                option("hk", "香港", "Hong Kong"), option("mo", "澳门", "Macao"),
                option("both", "香港和澳门", "Hong Kong and Macao"),
            ]),
        ],
        "materials": [material("permit", "电子往来港澳通行证", "Electronic permit (photo page)"),
                      material("kinship", "亲属关系证明", "Proof of kinship",
                               "办理探亲签注时提供。", "For a family-visit endorsement.",
                               required="optional")],
    }),
    ("jg-safe-driving-certificate", {
        "code": "safe-driving-record", "name_zh": "驾驶人安全驾驶证明", "name_en":
        "Safe-driving record certificate", "number_prefix": "AJZ", "time_limit_days": 1,
        "validity_months": 3, "outcome": "certificate",
        "statement_zh": "经查，该驾驶人在上述期间内的交通违法和事故记录如下。",
        "statement_en": "The driver's violations and accidents over the period are as listed.",
        "fields": [
            field("licence_number", "text", "驾驶证档案编号", "Licence file number",
                  "驾驶证副页上的 12 位编号。", "The 12 digits on the licence's second page.",
                  max_length=12),
            period(6) | {"not_before_birth": False},
            RECEIVING_ORG,
        ],
        "materials": [*ID_MATERIALS[:2], material("licence", "机动车驾驶证", "Driving licence")],
    }),
    ("hz-temporary-id-card", {
        "code": "temporary-id-card", "name_zh": "临时居民身份证", "name_en":
        "Temporary ID card", "number_prefix": "LSZ", "time_limit_days": 1,
        "validity_months": 3, "outcome": "counter",
        "statement_zh": "临时居民身份证已制发，请到窗口领取。",
        "statement_en": "The temporary ID card is ready; collect it at the counter.",
        "fields": [
            field("receipt_number", "text", "居民身份证受理凭证编号",
                  "ID application receipt number", max_length=30),
            field("urgent", "yes_no", "三日内急需使用", "Needed within three days",
                  required=False),
        ],
        "materials": [material("photo", "近期一寸免冠彩色照片", "Recent 1-inch colour photo",
                               formats=["jpeg", "png"]),
                      material("receipt", "居民身份证受理凭证", "ID application receipt")],
    }),
    ("hz-birth-registration", {
        "code": "birth-registration", "name_zh": "出生登记", "name_en": "Birth registration",
        "number_prefix": "CSD", "time_limit_days": 5, "validity_months": 12,
        "outcome": "letter",
        "statement_zh": "新生儿出生登记已办理，户口簿增页请到窗口领取。",
        "statement_en": "The birth is registered; collect the new booklet page at the counter.",
        "fields": [
            field("child_name", "text", "新生儿姓名", "Child's name", max_length=50),
            field("child_birth", "date", "出生日期", "Date of birth"),
            field("child_sex", "choice", "性别", "Sex", choices=[
                option("m", "男", "Male"), option("f", "女", "Female")]),
            field("hospital", "text", "出生医院", "Hospital of birth", max_length=100),
            field("parent_mobile", "mobile", "另一方父母手机号", "Other parent's mobile",
                  required=False),
        ],
        "materials": [material("birth_certificate", "出生医学证明", "Medical birth certificate"),
                      material("booklet", "父母一方居民户口簿", "A parent's household booklet",
                               max_files=2),
                      material("marriage", "结婚证", "Marriage certificate",
                               required="optional")],
    }),
    ("jg-licence-renewal", {
        "code": "licence-renewal", "name_zh": "驾驶证期满换证（跨省通办）", "name_en":
        "Driving licence renewal (any province)", "number_prefix": "JHZ", "time_limit_days": 3,
        "validity_months": 1, "outcome": "letter",
        "statement_zh": "换证申请已受理，新驾驶证将邮寄到所填地址。",
        "statement_en": "The renewal is accepted; the new licence is posted to your address.",
        "fields": [
            field("licence_number", "text", "驾驶证档案编号", "Licence file number",
                  max_length=12),
            field("post_address", "address", "邮寄地址", "Postal address", max_length=200),
            field("health_ok", "yes_no", "身体条件符合驾驶要求",
                  "Fit to drive (health declaration)"),
        ],
        "materials": [*ID_MATERIALS[:2], material(
            "health", "驾驶人身体条件证明", "Driver's health certificate",
            "县级或部队团级以上医疗机构出具，或互联网申报。",
            "From a county-level hospital, or declared online.", formats=["pdf", "jpeg"]),
            material("photo", "近期一寸白底照片", "Recent 1-inch photo, white background",
                     formats=["jpeg", "png"])],
    }),
]
