"""Demo catalogue for OneWindow: the public-security services of 星城市 (Xingcheng), a fictional
provincial capital with six districts.

Plain data only; `services.actions.catalogue_load(data=CATALOGUE)` writes it to the database and
`python manage.py seed_demo` runs that. Codes are stable identifiers: rename a service by
changing its names, never its code. Fees are in yuan, time limits in working days (0 = decided
on the spot), counter times in minutes. Every name, address, phone number and coordinate below
is invented.
"""


def _m(
    name_zh: str,
    name_en: str,
    note_zh: str = "",
    note_en: str = "",
    *,
    original: bool = True,
    copies: int = 0,
    optional: bool = False,
) -> dict:
    """One checklist item. `copies` counts photocopies to hand in besides the original."""
    return {
        "name_zh": name_zh,
        "name_en": name_en,
        "note_zh": note_zh,
        "note_en": note_en,
        "original_required": original,
        "copies": copies,
        "is_optional": optional,
    }


# Checklist items that many services share.
ID_CARD = _m("居民身份证", "Resident ID card")
ID_CARD_COPY = _m("居民身份证", "Resident ID card", copies=1)
HUKOU = _m("居民户口簿", "Household register booklet (hukou)")
HUKOU_LOCAL = _m(
    "居民户口簿",
    "Household register booklet (hukou)",
    "在户籍地办理时提供；异地办理无需提供",
    "Needed at the place of household registration only",
    optional=True,
)
ID_PHOTO_RECEIPT = _m(
    "身份证数码相片回执",
    "Digital ID-card photo receipt",
    "可在窗口现场免费拍照，无需自带",
    "The photo can be taken free of charge at the counter",
    optional=True,
)
CRJ_PHOTO_RECEIPT = _m(
    "出入境证件数码相片回执",
    "Digital exit-entry document photo receipt",
    "可在窗口现场免费拍照，无需自带",
    "The photo can be taken free of charge at the counter",
    optional=True,
)
AGENT = _m(
    "委托书及受托人居民身份证",
    "Letter of authorisation and the agent's ID card",
    "委托他人代办时提供",
    "When someone applies on your behalf",
    optional=True,
)
GUARDIAN = _m(
    "监护人居民身份证及监护关系证明",
    "Guardian's ID card and proof of guardianship",
    "未满16周岁的申请人由监护人陪同办理",
    "Applicants under 16 come with a guardian",
    optional=True,
)
STATE_EMPLOYEE = _m(
    "所在单位同意出境的意见",
    "Employer's consent to travel abroad",
    "国家工作人员提供",
    "For civil servants and state employees",
    optional=True,
)
BUSINESS_LICENCE = _m("营业执照", "Business licence", copies=1)
LEGAL_REP_ID = _m(
    "法定代表人居民身份证",
    "Legal representative's ID card",
    copies=1,
)
PREMISES = _m(
    "经营场所产权证明或租赁合同",
    "Title deed or lease of the premises",
    original=False,
    copies=1,
)
DRIVING_LICENCE = _m("机动车驾驶证", "Driving licence")
VEHICLE_LICENCE = _m("机动车行驶证", "Vehicle registration licence (xingshizheng)")
INSURANCE = _m(
    "机动车交通事故责任强制保险凭证",
    "Compulsory traffic accident liability insurance certificate",
    "已联网核查的无需提供纸质凭证",
    "Not needed if it can be checked online",
    optional=True,
)
PASSPORT_FOREIGN = _m(
    "护照或其他国际旅行证件",
    "Passport or other international travel document",
    copies=1,
)
FOREIGNER_FORM = _m(
    "外国人签证证件申请表",
    "Visa and residence document application form for foreign nationals",
    "附近期两寸正面免冠彩色照片一张",
    "With one recent 2-inch bareheaded colour photo",
)
ACCOMMODATION_FORM = _m(
    "境外人员住宿登记表",
    "Accommodation registration form for foreign visitors",
    "由住宿地派出所或宾馆出具",
    "Issued by the police station or hotel where you stay",
)

CATEGORIES = [
    {
        "code": "hz",
        "ticket_letter": "A",
        "position": 1,
        "name_zh": "户政",
        "name_en": "Household registration",
        "description_zh": "居民身份证、户口登记与迁移、户籍证明和居住证等户籍管理业务。",
        "description_en": "Resident ID cards, household registration and transfers, household "
        "certificates and residence permits.",
    },
    {
        "code": "crj",
        "ticket_letter": "B",
        "position": 2,
        "name_zh": "出入境",
        "name_en": "Exit-entry",
        "description_zh": "护照、港澳台通行证及签注、出入境记录查询和外国人签证证件业务。",
        "description_en": "Passports, Hong Kong, Macao and Taiwan travel permits and endorsements, "
        "exit-entry records and visas for foreign nationals.",
    },
    {
        "code": "jg",
        "ticket_letter": "C",
        "position": 3,
        "name_zh": "交管",
        "name_en": "Traffic",
        "description_zh": "机动车驾驶证、机动车登记、交通违法处理和电动自行车登记等交通管理业务。",
        "description_en": "Driving licences, vehicle registration, traffic violations and "
        "electric-bicycle registration.",
    },
    {
        "code": "za",
        "ticket_letter": "D",
        "position": 4,
        "name_zh": "治安",
        "name_en": "Public order",
        "description_zh": "无犯罪记录证明、特种行业许可、大型活动安全许可和养犬登记等"
        "治安管理业务。",
        "description_en": "No-criminal-record certificates, special-trade licences, permits for "
        "large events, dog registration and other public-order matters.",
    },
]

HZ_SERVICES = [
    {
        "code": "hz-id-card-renewal",
        "category": "hz",
        "name_zh": "居民身份证换领",
        "name_en": "Resident ID card renewal",
        "description_zh": "居民身份证有效期满或即将期满（期满前三个月内）的，可申请换领新证。"
        "全国通办，可在任一户政窗口办理，现场采集照片和指纹。",
        "description_en": "Renew an ID card that has expired or expires within three months. "
        "Any household-registration counter in the country can take the "
        "application; your photo and fingerprints are taken on site.",
        "channel": "counter",
        "fee": 20,
        "time_limit_days": 20,
        "counter_minutes": 10,
        "materials": [
            _m("原居民身份证", "Your current ID card", "换领时交回", "Handed in when renewing"),
            HUKOU_LOCAL,
            ID_PHOTO_RECEIPT,
            GUARDIAN,
        ],
    },
    {
        "code": "hz-id-card-replacement",
        "category": "hz",
        "name_zh": "居民身份证挂失补领",
        "name_en": "Replacement of a lost ID card",
        "description_zh": "居民身份证丢失或被盗的，先通过网上或电话挂失，再到户政窗口申请补领。"
        "补领期间可同时申请临时居民身份证。",
        "description_en": "If your ID card is lost or stolen, report the loss online or by phone, "
        "then apply for a replacement at a counter. You can ask for a "
        "temporary ID card at the same time.",
        "channel": "counter",
        "fee": 40,
        "time_limit_days": 20,
        "counter_minutes": 10,
        "materials": [
            HUKOU_LOCAL,
            ID_PHOTO_RECEIPT,
            _m(
                "挂失凭证",
                "Loss report receipt",
                "网上挂失的提供挂失编号即可",
                "For online reports the report number is enough",
                original=False,
                optional=True,
            ),
            GUARDIAN,
        ],
    },
    {
        "code": "hz-temporary-id-card",
        "category": "hz",
        "name_zh": "临时居民身份证申领",
        "name_en": "Temporary ID card",
        "description_zh": "申领、换领或补领居民身份证期间急需使用身份证件的，可申请临时居民身份证，"
        "有效期三个月，一般当场制发。",
        "description_en": "While your new ID card is being made you can get a temporary ID card, "
        "valid for three months and usually issued on the spot.",
        "channel": "both",
        "fee": 10,
        "time_limit_days": 0,
        "counter_minutes": 10,
        "materials": [
            _m("居民身份证受理凭证", "Receipt of your ID card application"),
            HUKOU_LOCAL,
            _m(
                "近期一寸免冠彩色照片",
                "Recent 1-inch bareheaded colour photos",
                "两张，也可现场拍照",
                "Two photos; they can also be taken on site",
            ),
        ],
    },
    {
        "code": "hz-first-id-card",
        "category": "hz",
        "name_zh": "居民身份证首次申领",
        "name_en": "First ID card application",
        "description_zh": "年满十六周岁的公民应当申领居民身份证；未满十六周岁的可自愿申领，"
        "由监护人陪同办理。",
        "description_en": "Citizens aged 16 must apply for an ID card; younger children may apply "
        "voluntarily, accompanied by a guardian.",
        "channel": "counter",
        "fee": 20,
        "time_limit_days": 20,
        "counter_minutes": 10,
        "materials": [HUKOU, ID_PHOTO_RECEIPT, GUARDIAN],
    },
    {
        "code": "hz-birth-registration",
        "category": "hz",
        "name_zh": "出生登记",
        "name_en": "Birth registration",
        "description_zh": "新生儿出生后一个月内，由父母或监护人向常住户口所在地派出所申报出生登记；"
        "本市已开通“出生一件事”网上联办。",
        "description_en": "Register a newborn within one month of birth at the police station "
        "where a parent's household is registered, or online through the "
        "city's birth one-stop service.",
        "channel": "both",
        "fee": 0,
        "time_limit_days": 0,
        "counter_minutes": 15,
        "materials": [
            _m("出生医学证明", "Medical birth certificate", copies=1),
            _m("父母双方居民户口簿", "Both parents' household register booklets"),
            _m("父母双方居民身份证", "Both parents' ID cards"),
            _m(
                "父母结婚证",
                "Parents' marriage certificate",
                "父母已婚的提供",
                "If the parents are married",
                optional=True,
            ),
        ],
    },
    {
        "code": "hz-move-in",
        "category": "hz",
        "name_zh": "户口迁入登记",
        "name_en": "Moving household registration here",
        "description_zh": "符合本市购房、投靠、人才引进或就业落户条件的，可申请将户口迁入本市。"
        "省内及跨省迁移均在迁入地“一站式”办理，无需回原籍开具迁移证。",
        "description_en": "If you qualify to settle in the city (home ownership, joining family, "
        "talent programmes or employment), apply to move your household "
        "registration here. Moves are handled in one stop at the destination.",
        "channel": "both",
        "fee": 0,
        "time_limit_days": 5,
        "counter_minutes": 20,
        "materials": [
            ID_CARD,
            HUKOU,
            _m(
                "落户条件证明材料",
                "Proof of eligibility to settle",
                "如不动产权证书、劳动合同及社保缴纳证明、学历证书等",
                "E.g. title deed, employment contract with social-insurance record, diploma",
                copies=1,
            ),
            _m(
                "结婚证或亲属关系证明",
                "Marriage certificate or proof of kinship",
                "投靠落户时提供",
                "When joining a family member",
                optional=True,
            ),
        ],
    },
    {
        "code": "hz-move-out",
        "category": "hz",
        "name_zh": "户口迁出登记",
        "name_en": "Moving household registration out",
        "description_zh": "因出国（境）定居、应征入伍等原因需迁出或注销户口的，到户籍地派出所办理；"
        "一般的户口迁移请在迁入地办理。",
        "description_en": "When you settle abroad or enlist in the army, your household "
        "registration is moved out at your local police station. Ordinary "
        "moves are handled at the destination.",
        "channel": "counter",
        "fee": 0,
        "time_limit_days": 0,
        "counter_minutes": 15,
        "materials": [
            ID_CARD,
            HUKOU,
            _m(
                "迁出事由证明",
                "Proof of the reason for moving out",
                "如入伍通知书、国外定居证明等",
                "E.g. enlistment notice or proof of residence abroad",
                copies=1,
            ),
        ],
    },
    {
        "code": "hz-death-deregistration",
        "category": "hz",
        "name_zh": "死亡注销户口",
        "name_en": "Deregistration after death",
        "description_zh": "公民死亡后，其亲属或监护人应在一个月内向户籍地派出所申报注销户口，"
        "并交回死者的居民身份证。",
        "description_en": "After a death, a relative or guardian deregisters the deceased at the "
        "local police station within one month and hands in their ID card.",
        "channel": "counter",
        "fee": 0,
        "time_limit_days": 0,
        "counter_minutes": 10,
        "materials": [
            _m("居民死亡医学证明（推断）书", "Medical certificate of death", copies=1),
            _m("死者居民户口簿", "The deceased's household register booklet"),
            _m(
                "死者居民身份证",
                "The deceased's ID card",
                "遗失的请在窗口说明",
                "If it is lost, tell the clerk",
            ),
            _m("申报人居民身份证", "ID card of the person reporting"),
        ],
    },
    {
        "code": "hz-household-certificate",
        "category": "hz",
        "name_zh": "户籍证明开具",
        "name_en": "Household registration certificate",
        "description_zh": "开具户口注销证明、曾用名证明、亲属关系证明等户籍类证明。"
        "部分证明可网上申请，电子证明与纸质证明效力相同。",
        "description_en": "Certificates from the household register, such as proof of "
        "deregistration, former names or family relationships. Some can be "
        "requested online; electronic certificates are as valid as paper ones.",
        "channel": "both",
        "fee": 0,
        "time_limit_days": 0,
        "counter_minutes": 10,
        "materials": [
            ID_CARD,
            HUKOU,
            _m(
                "与证明事项相关的材料",
                "Documents supporting what is to be certified",
                "如需证明亲属关系的，提供相关人员户口簿",
                "E.g. relatives' household booklets to prove a family relationship",
                optional=True,
            ),
            AGENT,
        ],
    },
    {
        "code": "hz-residence-permit",
        "category": "hz",
        "name_zh": "居住证申领",
        "name_en": "Residence permit application",
        "description_zh": "在本市居住半年以上，并有合法稳定就业、合法稳定住所或连续就读条件之一的"
        "非本市户籍人员，可申领居住证，享受本市基本公共服务。",
        "description_en": "Non-local residents who have lived in the city for six months and have "
        "stable work, a stable home or are enrolled in school can apply for a "
        "residence permit, which opens the city's basic public services.",
        "channel": "both",
        "fee": 0,
        "time_limit_days": 15,
        "counter_minutes": 10,
        "materials": [
            ID_CARD,
            _m(
                "居住证明",
                "Proof of residence",
                "不动产权证书、租赁合同或居住登记凭证",
                "Title deed, tenancy agreement or residence registration receipt",
                original=False,
                copies=1,
            ),
            _m(
                "就业或就读证明",
                "Proof of employment or study",
                "劳动合同、营业执照或学籍证明，满足条件之一即可",
                "Employment contract, business licence or school enrolment; one is enough",
                original=False,
                copies=1,
                optional=True,
            ),
            ID_PHOTO_RECEIPT,
        ],
    },
    {
        "code": "hz-booklet-replacement",
        "category": "hz",
        "name_zh": "居民户口簿补领换领",
        "name_en": "Household booklet replacement",
        "description_zh": "居民户口簿遗失、损坏或内页已满的，由户主或成年家庭成员向户籍地派出所"
        "申请补领或换领。",
        "description_en": "If the household booklet is lost, damaged or full, the head of "
        "household or an adult member applies for a new one at the local "
        "police station.",
        "channel": "counter",
        "fee": 0,
        "time_limit_days": 0,
        "counter_minutes": 10,
        "materials": [
            _m("申请人居民身份证", "Applicant's ID card"),
            _m(
                "原居民户口簿",
                "The old household booklet",
                "换领时交回；遗失的无需提供",
                "Handed in for a renewal; not needed if lost",
                optional=True,
            ),
        ],
    },
    {
        "code": "hz-name-change",
        "category": "hz",
        "name_zh": "姓名变更登记",
        "name_en": "Change of name",
        "description_zh": "未满十八周岁的，由父母或其他监护人申请变更姓名；成年人变更姓名须有正当"
        "理由，经审批后办理。",
        "description_en": "Parents or guardians apply for a minor's change of name; adults need a "
        "valid reason, and the change is approved before it is recorded.",
        "channel": "counter",
        "fee": 0,
        "time_limit_days": 20,
        "counter_minutes": 20,
        "materials": [
            ID_CARD,
            HUKOU,
            _m("变更姓名申请书", "Application for a change of name"),
            _m(
                "变更理由证明材料",
                "Evidence of the reason for the change",
                original=False,
                copies=1,
            ),
            GUARDIAN,
        ],
    },
]

CRJ_SERVICES = [
    {
        "code": "crj-passport",
        "category": "crj",
        "name_zh": "普通护照申领",
        "name_en": "Ordinary passport application",
        "description_zh": "中国公民因私出国可申请普通护照，全国通办，可在任一出入境窗口申请；"
        "现场采集照片和指纹，证件可邮寄到家。",
        "description_en": "Chinese citizens travelling abroad for private purposes can apply for "
        "an ordinary passport at any exit-entry counter in the country; photo "
        "and fingerprints are taken on site and the passport can be mailed.",
        "channel": "counter",
        "fee": 120,
        "time_limit_days": 7,
        "counter_minutes": 15,
        "materials": [ID_CARD, CRJ_PHOTO_RECEIPT, STATE_EMPLOYEE, GUARDIAN],
    },
    {
        "code": "crj-passport-reissue",
        "category": "crj",
        "name_zh": "普通护照换发补发",
        "name_en": "Passport renewal or replacement",
        "description_zh": "护照有效期不足六个月、签证页即将用完或护照遗失、损毁的，"
        "可申请换发或补发。",
        "description_en": "Apply for a new passport when yours has less than six months left, is "
        "running out of visa pages, or has been lost or damaged.",
        "channel": "counter",
        "fee": 120,
        "time_limit_days": 7,
        "counter_minutes": 15,
        "materials": [
            ID_CARD,
            _m(
                "原护照",
                "Your current passport",
                "换发时提供；遗失的须先报失",
                "For a renewal; report a lost passport first",
                optional=True,
            ),
            CRJ_PHOTO_RECEIPT,
            STATE_EMPLOYEE,
        ],
    },
    {
        "code": "crj-hk-macao-permit",
        "category": "crj",
        "name_zh": "往来港澳通行证申领",
        "name_en": "Hong Kong and Macao travel permit",
        "description_zh": "内地居民前往香港、澳门旅游、探亲、商务等，须申领电子往来港澳通行证并"
        "同时申请相应签注。",
        "description_en": "Mainland residents visiting Hong Kong or Macao need an electronic "
        "travel permit, applied for together with an endorsement.",
        "channel": "counter",
        "fee": 60,
        "time_limit_days": 7,
        "counter_minutes": 15,
        "materials": [ID_CARD, CRJ_PHOTO_RECEIPT, STATE_EMPLOYEE, GUARDIAN],
    },
    {
        "code": "crj-hk-macao-endorsement",
        "category": "crj",
        "name_zh": "往来港澳签注",
        "name_en": "Hong Kong and Macao endorsement",
        "description_zh": "持电子往来港澳通行证的，可在自助签注机、网上或窗口办理旅游、探亲等签注，"
        "一次有效签注每件15元。",
        "description_en": "Holders of the electronic permit can get tourist, family-visit and "
        "other endorsements at self-service kiosks, online or at a counter; "
        "a single-entry endorsement costs 15 yuan.",
        "channel": "both",
        "fee": 15,
        "time_limit_days": 0,
        "counter_minutes": 5,
        "materials": [
            _m("电子往来港澳通行证", "Electronic Hong Kong and Macao travel permit"),
            ID_CARD,
            _m(
                "亲属关系证明",
                "Proof of kinship",
                "办理探亲签注时提供",
                "For a family-visit endorsement",
                copies=1,
                optional=True,
            ),
        ],
    },
    {
        "code": "crj-taiwan-permit",
        "category": "crj",
        "name_zh": "往来台湾通行证申领",
        "name_en": "Taiwan travel permit",
        "description_zh": "大陆居民赴台湾地区旅游、探亲、商务等，须申领往来台湾通行证"
        "并申请相应签注。",
        "description_en": "Mainland residents travelling to Taiwan need a Taiwan travel permit and "
        "an endorsement for the purpose of the trip.",
        "channel": "counter",
        "fee": 60,
        "time_limit_days": 7,
        "counter_minutes": 15,
        "materials": [ID_CARD, CRJ_PHOTO_RECEIPT, STATE_EMPLOYEE, GUARDIAN],
    },
    {
        "code": "crj-taiwan-endorsement",
        "category": "crj",
        "name_zh": "赴台签注",
        "name_en": "Taiwan endorsement",
        "description_zh": "持有效往来台湾通行证的，可申请探亲、商务、团队旅游等赴台签注，"
        "一次有效签注每件15元。",
        "description_en": "Holders of a valid Taiwan travel permit can apply for family-visit, "
        "business or group-tour endorsements; single-entry costs 15 yuan.",
        "channel": "both",
        "fee": 15,
        "time_limit_days": 0,
        "counter_minutes": 5,
        "materials": [
            _m("往来台湾通行证", "Taiwan travel permit"),
            ID_CARD,
            _m(
                "台湾地区邀请方证明",
                "Proof of the inviting party in Taiwan",
                "办理探亲、商务签注时提供",
                "For family-visit and business endorsements",
                original=False,
                copies=1,
                optional=True,
            ),
        ],
    },
    {
        "code": "crj-entry-exit-record",
        "category": "crj",
        "name_zh": "出入境记录查询",
        "name_en": "Exit-entry record query",
        "description_zh": "查询并出具本人的出入境记录，用于签证、入学、就业等；已实现全程网办，"
        "网上申请经审核后出具带验证码的电子证明。",
        "description_en": "A certified record of your own border crossings, for visas, school or "
        "work. It can be requested fully online; after review an electronic "
        "certificate with a verification code is issued.",
        "channel": "both",
        "fee": 0,
        "time_limit_days": 1,
        "counter_minutes": 5,
        "materials": [
            ID_CARD,
            _m(
                "出入境证件",
                "Passport or travel permit",
                "查询特定证件的记录时提供",
                "When the record of a specific document is needed",
                optional=True,
            ),
            AGENT,
        ],
    },
    {
        "code": "crj-foreigner-visa-extension",
        "category": "crj",
        "name_zh": "外国人签证延期",
        "name_en": "Visa extension for foreign nationals",
        "description_zh": "在华外国人所持签证停留期即将届满需继续停留的，应在届满七日前申请延期，"
        "延长期限累计不超过原签证注明的停留期限。",
        "description_en": "Foreign nationals who need to stay longer than their visa allows apply "
        "at least seven days before it ends; the extension may not exceed the "
        "original duration of stay.",
        "channel": "counter",
        "fee": 160,
        "time_limit_days": 7,
        "counter_minutes": 20,
        "materials": [
            PASSPORT_FOREIGN,
            FOREIGNER_FORM,
            ACCOMMODATION_FORM,
            _m("延期事由证明", "Proof of the reason for the extension", original=False, copies=1),
        ],
    },
    {
        "code": "crj-foreigner-residence-permit",
        "category": "crj",
        "name_zh": "外国人居留许可签发延期",
        "name_en": "Residence permit for foreign nationals",
        "description_zh": "因工作、学习、团聚等事由需在华居留的外国人，应在入境后三十日内或居留许可"
        "到期前三十日申请；一年以下居留许可收费400元。",
        "description_en": "Foreign nationals staying for work, study or family reunion apply "
        "within 30 days of arrival or 30 days before their permit expires; a "
        "permit of less than one year costs 400 yuan.",
        "channel": "counter",
        "fee": 400,
        "time_limit_days": 15,
        "counter_minutes": 20,
        "materials": [
            PASSPORT_FOREIGN,
            FOREIGNER_FORM,
            ACCOMMODATION_FORM,
            _m(
                "居留事由证明",
                "Proof of the purpose of residence",
                "如工作许可证、在学证明或亲属关系证明",
                "E.g. work permit, certificate of enrolment or proof of family ties",
                copies=1,
            ),
            _m(
                "健康证明",
                "Health certificate",
                "居留一年以上时提供",
                "For stays of more than one year",
                optional=True,
            ),
        ],
    },
    {
        "code": "crj-foreigner-accommodation",
        "category": "crj",
        "name_zh": "境外人员住宿登记",
        "name_en": "Accommodation registration for foreign visitors",
        "description_zh": "境外人员在宾馆以外住宿的，应在入住后二十四小时内由本人或留宿人向"
        "居住地派出所办理住宿登记，也可网上申报。",
        "description_en": "Foreign visitors staying outside a hotel register with the local "
        "police station within 24 hours of arrival, in person, through their "
        "host or online.",
        "channel": "both",
        "fee": 0,
        "time_limit_days": 0,
        "counter_minutes": 5,
        "materials": [
            PASSPORT_FOREIGN,
            _m(
                "留宿人居民身份证",
                "Host's ID card",
                "由留宿人代为申报时提供",
                "When the host registers for the visitor",
                optional=True,
            ),
            _m(
                "房屋产权证明或租赁合同",
                "Title deed or tenancy agreement",
                original=False,
                copies=1,
            ),
        ],
    },
]

JG_SERVICES = [
    {
        "code": "jg-licence-renewal",
        "category": "jg",
        "name_zh": "机动车驾驶证期满换证",
        "name_en": "Driving licence renewal",
        "description_zh": "驾驶证有效期满前九十日内可申请换证，全国通办；可通过“交管12123”"
        "网上申请并邮寄，也可到窗口办理。",
        "description_en": "Renew your driving licence within 90 days before it expires, anywhere "
        "in the country: online through the 12123 traffic app with delivery by "
        "post, or at a counter.",
        "channel": "both",
        "fee": 10,
        "time_limit_days": 0,
        "counter_minutes": 10,
        "materials": [
            ID_CARD,
            DRIVING_LICENCE,
            _m(
                "机动车驾驶人身体条件证明",
                "Driver's medical certificate",
                "县级或部队团级以上医疗机构出具，六个月内有效",
                "From a county-level or higher hospital, valid for six months",
            ),
            ID_PHOTO_RECEIPT,
        ],
    },
    {
        "code": "jg-licence-replacement",
        "category": "jg",
        "name_zh": "机动车驾驶证补领",
        "name_en": "Replacement of a lost driving licence",
        "description_zh": "驾驶证遗失的，可通过“交管12123”网上申请补领并邮寄，也可到窗口当场补领。",
        "description_en": "A lost driving licence can be replaced online through the 12123 "
        "traffic app and posted to you, or at a counter on the spot.",
        "channel": "both",
        "fee": 10,
        "time_limit_days": 0,
        "counter_minutes": 10,
        "materials": [ID_CARD, ID_PHOTO_RECEIPT, AGENT],
    },
    {
        "code": "jg-vehicle-registration",
        "category": "jg",
        "name_zh": "机动车注册登记",
        "name_en": "New vehicle registration",
        "description_zh": "新购机动车上道路行驶前须办理注册登记，领取号牌、行驶证和登记证书；"
        "收费含号牌100元、行驶证10元、登记证书10元。",
        "description_en": "Register a new vehicle before driving it and receive plates, the "
        "vehicle licence and the registration certificate; fees are 100 yuan "
        "for plates and 10 yuan each for the two documents.",
        "channel": "counter",
        "fee": 120,
        "time_limit_days": 0,
        "counter_minutes": 30,
        "materials": [
            _m(
                "机动车所有人身份证明",
                "Owner's proof of identity",
                "个人提供居民身份证，单位提供统一社会信用代码证明",
                "An ID card for a person, the unified social credit code for a company",
            ),
            _m("机动车销售统一发票", "Unified invoice for the vehicle purchase"),
            _m("机动车整车出厂合格证", "Vehicle manufacturer's certificate of conformity"),
            INSURANCE,
            _m(
                "车辆购置税完税证明",
                "Vehicle purchase tax certificate",
                "已联网核查的无需提供",
                "Not needed if it can be checked online",
                optional=True,
            ),
        ],
    },
    {
        "code": "jg-vehicle-transfer",
        "category": "jg",
        "name_zh": "机动车转移登记",
        "name_en": "Transfer of vehicle ownership",
        "description_zh": "二手车买卖、赠与或继承后，由现机动车所有人申请转移登记，本市内转移的"
        "可不换号牌。",
        "description_en": "After a used vehicle is sold, given or inherited, the new owner "
        "registers the transfer; within the city the plates can be kept.",
        "channel": "counter",
        "fee": 10,
        "time_limit_days": 0,
        "counter_minutes": 30,
        "materials": [
            _m("买卖双方身份证明", "Proof of identity of buyer and seller", copies=1),
            _m("机动车登记证书", "Vehicle registration certificate"),
            VEHICLE_LICENCE,
            _m(
                "二手车销售统一发票",
                "Unified invoice for the used-car sale",
                "赠与、继承的提供相应法律文书",
                "For a gift or inheritance, the legal document instead",
            ),
        ],
    },
    {
        "code": "jg-violation-handling",
        "category": "jg",
        "name_zh": "交通违法处理",
        "name_en": "Handling traffic violations",
        "description_zh": "确认电子监控记录的交通违法行为、接受处理并缴纳罚款；适用简易程序的违法"
        "可通过“交管12123”网上处理。",
        "description_en": "Confirm traffic violations recorded by cameras, accept the penalty and "
        "pay the fine; minor violations can be settled online through the "
        "12123 traffic app.",
        "channel": "both",
        "fee": 0,
        "time_limit_days": 0,
        "counter_minutes": 10,
        "materials": [DRIVING_LICENCE, VEHICLE_LICENCE, AGENT],
    },
    {
        "code": "jg-inspection-mark",
        "category": "jg",
        "name_zh": "机动车检验标志核发",
        "name_en": "Vehicle inspection mark",
        "description_zh": "机动车检验合格后，通过“交管12123”申领电子检验标志；六年以内的非营运"
        "小微型客车可免检申领。",
        "description_en": "After a vehicle passes inspection, its electronic inspection mark is "
        "issued through the 12123 traffic app; private cars under six years "
        "old are exempt from the inspection itself.",
        "channel": "online",
        "fee": 0,
        "time_limit_days": 0,
        "counter_minutes": 5,
        "materials": [VEHICLE_LICENCE, INSURANCE],
    },
    {
        "code": "jg-temporary-plate",
        "category": "jg",
        "name_zh": "临时行驶车号牌核发",
        "name_en": "Temporary vehicle plates",
        "description_zh": "新购车辆未办理注册登记需要临时上道路行驶的，可申领临时行驶车号牌，"
        "每张5元。",
        "description_en": "A newly bought vehicle that is not yet registered can get temporary "
        "plates to drive on public roads, 5 yuan each.",
        "channel": "both",
        "fee": 5,
        "time_limit_days": 0,
        "counter_minutes": 10,
        "materials": [
            ID_CARD,
            _m("机动车整车出厂合格证", "Vehicle manufacturer's certificate of conformity"),
            _m("机动车销售统一发票", "Unified invoice for the vehicle purchase"),
            INSURANCE,
        ],
    },
    {
        "code": "jg-safe-driving-certificate",
        "category": "jg",
        "name_zh": "驾驶人安全驾驶证明",
        "name_en": "Safe-driving record certificate",
        "description_zh": "出具驾驶人一定期间内的交通违法和事故记录证明，用于求职、出国等，"
        "网上申请即时出具电子证明。",
        "description_en": "A certificate of a driver's violations and accidents over a period, "
        "for job or visa applications, issued online at once.",
        "channel": "online",
        "fee": 0,
        "time_limit_days": 0,
        "counter_minutes": 5,
        "materials": [ID_CARD, DRIVING_LICENCE],
    },
    {
        "code": "jg-ebike-registration",
        "category": "jg",
        "name_zh": "电动自行车登记上牌",
        "name_en": "Electric bicycle registration",
        "description_zh": "购买符合国家标准的电动自行车后，车主携车到登记点办理登记并领取号牌，"
        "免收工本费。",
        "description_en": "Bring a new standard-compliant electric bicycle to a registration "
        "point to register it and get a plate, free of charge.",
        "channel": "counter",
        "fee": 0,
        "time_limit_days": 0,
        "counter_minutes": 15,
        "materials": [
            ID_CARD,
            _m("购车发票", "Purchase invoice"),
            _m(
                "产品合格证",
                "Certificate of conformity",
                "须有强制性产品认证（CCC）标志",
                "Must carry the China Compulsory Certification (CCC) mark",
            ),
            _m("车辆", "The bicycle itself", "须到场查验", "Must be presented for inspection"),
        ],
    },
]

ZA_SERVICES = [
    {
        "code": "za-no-criminal-record",
        "category": "za",
        "name_zh": "无犯罪记录证明",
        "name_en": "No-criminal-record certificate",
        "description_zh": "为本市户籍人员和在本市居住的人员出具有无犯罪记录的证明，用于就业、出国、"
        "入学等；已实现全程网办，审核通过后出具带验证码的电子证明。",
        "description_en": "Certifies whether a resident of the city has a criminal record, for "
        "jobs, visas or school. It can be requested fully online; after review "
        "an electronic certificate with a verification code is issued.",
        "channel": "both",
        "fee": 0,
        "time_limit_days": 3,
        "counter_minutes": 10,
        "materials": [
            ID_CARD,
            _m(
                "证明用途说明",
                "Statement of purpose",
                "如用人单位要求开具的事由",
                "E.g. the reason given by the employer",
                original=False,
            ),
            AGENT,
        ],
    },
    {
        "code": "za-security-guard-certificate",
        "category": "za",
        "name_zh": "保安员证核发",
        "name_en": "Security guard certificate",
        "description_zh": "年满十八周岁、身体健康、品行良好的中国公民，经保安员考试合格后可申请"
        "保安员证。",
        "description_en": "Chinese citizens aged 18 or over, in good health and of good conduct, "
        "can apply for a security guard certificate after passing the exam.",
        "channel": "counter",
        "fee": 0,
        "time_limit_days": 15,
        "counter_minutes": 10,
        "materials": [
            ID_CARD_COPY,
            _m("保安员考试合格证明", "Proof of passing the security guard exam", original=False),
            _m(
                "近期一寸免冠彩色照片",
                "Recent 1-inch bareheaded colour photos",
                "两张",
                "Two photos",
            ),
            _m("保安员证申请表", "Application form"),
        ],
    },
    {
        "code": "za-hotel-licence",
        "category": "za",
        "name_zh": "旅馆业特种行业许可证核发",
        "name_en": "Special-trade licence for hotels",
        "description_zh": "开办旅馆、民宿等住宿服务须取得特种行业许可证，并安装旅馆业治安管理"
        "信息系统。",
        "description_en": "Hotels, guesthouses and other lodging businesses need a special-trade "
        "licence and must install the hotel security information system.",
        "channel": "counter",
        "fee": 0,
        "time_limit_days": 20,
        "counter_minutes": 30,
        "materials": [
            _m("特种行业许可申请书", "Application for a special-trade licence"),
            BUSINESS_LICENCE,
            LEGAL_REP_ID,
            PREMISES,
            _m(
                "消防安全检查合格证明或承诺书",
                "Fire safety inspection certificate or undertaking",
                copies=1,
            ),
            _m(
                "治安保卫制度及经营场所平面图",
                "Security rules and floor plan of the premises",
                original=False,
            ),
        ],
    },
    {
        "code": "za-pawn-licence",
        "category": "za",
        "name_zh": "典当业特种行业许可证核发",
        "name_en": "Special-trade licence for pawnshops",
        "description_zh": "取得典当经营许可证的企业，在开业前须向公安机关申领特种行业许可证。",
        "description_en": "A company holding a pawnbroking permit must obtain a special-trade "
        "licence from the police before it opens.",
        "channel": "counter",
        "fee": 0,
        "time_limit_days": 20,
        "counter_minutes": 30,
        "materials": [
            _m(
                "典当经营许可证",
                "Pawnbroking permit",
                "由商务主管部门颁发",
                "Issued by the commerce authorities",
                copies=1,
            ),
            BUSINESS_LICENCE,
            LEGAL_REP_ID,
            PREMISES,
            _m("安全防范设施情况说明", "Description of the security installations", original=False),
        ],
    },
    {
        "code": "za-large-event-permit",
        "category": "za",
        "name_zh": "大型群众性活动安全许可",
        "name_en": "Safety permit for large public events",
        "description_zh": "举办预计参加人数在一千人以上的演唱会、体育比赛、展览等活动，承办者应在"
        "活动日二十日前提出安全许可申请。",
        "description_en": "Organisers of concerts, sports events, exhibitions and similar events "
        "expecting 1,000 people or more apply for a safety permit at least 20 "
        "days before the event.",
        "channel": "counter",
        "fee": 0,
        "time_limit_days": 7,
        "counter_minutes": 30,
        "materials": [
            _m("大型群众性活动安全许可申请表", "Application form"),
            _m(
                "承办者合法成立证明及负责人身份证明",
                "Proof of the organiser's legal status and the responsible person's ID",
                copies=1,
            ),
            _m("活动方案及安全工作方案", "Event plan and safety plan"),
            _m("场所管理者同意提供场所的证明", "Venue manager's consent", copies=1),
        ],
    },
    {
        "code": "za-dog-registration",
        "category": "za",
        "name_zh": "养犬登记",
        "name_en": "Dog registration",
        "description_zh": "在本市城区饲养犬只的，应在取得犬只后三十日内办理养犬登记，领取犬牌；"
        "每户限养一只。",
        "description_en": "Dogs kept in the urban districts must be registered within 30 days of "
        "acquisition, and receive a tag; one dog per household.",
        "channel": "both",
        "fee": 0,
        "time_limit_days": 0,
        "counter_minutes": 10,
        "materials": [
            ID_CARD,
            _m("犬只狂犬病免疫证明", "Rabies vaccination certificate"),
            _m(
                "住所证明",
                "Proof of residence",
                "不动产权证书或租赁合同",
                "Title deed or tenancy agreement",
                original=False,
                copies=1,
            ),
            _m(
                "犬只正面及侧面照片",
                "Photos of the dog from the front and side",
                original=False,
                optional=True,
            ),
        ],
    },
    {
        "code": "za-seal-engraving",
        "category": "za",
        "name_zh": "印章刻制备案",
        "name_en": "Registration of engraved seals",
        "description_zh": "企业和社会组织刻制公章后，由刻制企业通过公安印章管理系统在线备案，"
        "申请人无需到窗口。",
        "description_en": "When a company or organisation has its official seal engraved, the "
        "engraver registers it online in the police seal system; no counter "
        "visit is needed.",
        "channel": "online",
        "fee": 0,
        "time_limit_days": 0,
        "counter_minutes": 5,
        "materials": [BUSINESS_LICENCE, LEGAL_REP_ID],
    },
    {
        "code": "za-rental-housing",
        "category": "za",
        "name_zh": "出租房屋登记备案",
        "name_en": "Rental housing registration",
        "description_zh": "出租房屋的，出租人应在签订租赁合同后向房屋所在地派出所登记承租人信息，"
        "也可网上申报。",
        "description_en": "Landlords register their tenants with the local police station after "
        "signing a lease, at the counter or online.",
        "channel": "both",
        "fee": 0,
        "time_limit_days": 0,
        "counter_minutes": 10,
        "materials": [
            _m("出租人居民身份证", "Landlord's ID card"),
            _m("承租人居民身份证", "Tenant's ID card", copies=1),
            _m("房屋所有权证明", "Proof of ownership of the home", copies=1),
            _m("房屋租赁合同", "Tenancy agreement", original=False, copies=1),
        ],
    },
    {
        "code": "za-fireworks-permit",
        "category": "za",
        "name_zh": "焰火晚会燃放许可",
        "name_en": "Permit for fireworks displays",
        "description_zh": "举办焰火晚会或其他大型焰火燃放活动的，主办单位应提前向公安机关申请燃放"
        "许可。",
        "description_en": "The organiser of a fireworks show or other large fireworks display "
        "applies to the police for a permit in advance.",
        "channel": "counter",
        "fee": 0,
        "time_limit_days": 20,
        "counter_minutes": 30,
        "materials": [
            _m("燃放许可申请书", "Application for a fireworks permit"),
            _m("燃放作业单位资质证明", "Proof of the display company's qualification", copies=1),
            _m(
                "燃放作业方案",
                "Display plan",
                "含燃放地点、时间、安全距离和警戒范围",
                "Place, time, safety distances and cordon",
            ),
            _m("燃放作业人员资格证明", "Certificates of the pyrotechnicians", copies=1),
        ],
    },
]

SERVICES = HZ_SERVICES + CRJ_SERVICES + JG_SERVICES + ZA_SERVICES

DISTRICTS = [
    {"code": "furong", "name_zh": "芙蓉区", "name_en": "Furong District", "position": 1},
    {"code": "tianxin", "name_zh": "天心区", "name_en": "Tianxin District", "position": 2},
    {"code": "yuelu", "name_zh": "岳麓区", "name_en": "Yuelu District", "position": 3},
    {"code": "kaifu", "name_zh": "开福区", "name_en": "Kaifu District", "position": 4},
    {"code": "yuhua", "name_zh": "雨花区", "name_en": "Yuhua District", "position": 5},
    {"code": "wangcheng", "name_zh": "望城区", "name_en": "Wangcheng District", "position": 6},
]

# Service codes by category, for the office lists below.
HZ = [s["code"] for s in HZ_SERVICES]
CRJ = [s["code"] for s in CRJ_SERVICES]
JG = [s["code"] for s in JG_SERVICES]
ZA = [s["code"] for s in ZA_SERVICES]
ALL = HZ + CRJ + JG + ZA
FOREIGNER = [
    "crj-foreigner-visa-extension",
    "crj-foreigner-residence-permit",
    "crj-foreigner-accommodation",
]
# What every police station does: household registration and the everyday certificates.
STATION = HZ + ["za-no-criminal-record", "za-rental-housing", "crj-foreigner-accommodation"]
STATION_ZA = ["za-no-criminal-record", "za-rental-housing", "crj-foreigner-accommodation"]
ENDORSEMENTS = ["crj-hk-macao-endorsement", "crj-taiwan-endorsement"]


def _week(days: range, *periods: tuple[str, str]) -> list[tuple[int, str, str]]:
    """Opening hours as (weekday, opens, closes); weekday 0 is Monday."""
    return [(day, opens, closes) for day in days for opens, closes in periods]


MORNING, AFTERNOON = ("09:00", "12:00"), ("13:30", "17:30")
WEEKDAYS = _week(range(5), MORNING, AFTERNOON)
WEEKDAYS_SATURDAY_MORNING = WEEKDAYS + _week(range(5, 6), MORNING)
WEEKDAYS_SATURDAY_FULL = WEEKDAYS + _week(range(5, 6), ("09:00", "17:00"))
SEVEN_DAYS = _week(range(7), MORNING, AFTERNOON)
# Suburban stations open earlier and take a longer midday break.
SUBURBAN = _week(range(5), ("08:30", "12:00"), ("14:30", "17:30"))


def _one_window(number: int = 1) -> dict:
    return {
        "number": number,
        "name_zh": "综合窗口",
        "name_en": "Comprehensive window",
        "serves_all": True,
        "services": [],
    }


def _counter(number: int, name_zh: str, name_en: str, services: list[str]) -> dict:
    return {
        "number": number,
        "name_zh": name_zh,
        "name_en": name_en,
        "serves_all": False,
        "services": list(services),
    }


def _hukou_counter(number: int = 2) -> dict:
    return _counter(number, "户政窗口", "Household registration window", HZ)


def _order_counter(number: int = 3) -> dict:
    return _counter(number, "治安窗口", "Public order window", STATION_ZA)


OFFICES = [
    {
        "code": "city-citizen-centre",
        "kind": "hall",
        "district": "yuelu",
        "name_zh": "星城市市民之家公安服务大厅",
        "name_en": "Xingcheng Citizen Centre Public Security Service Hall",
        "address_zh": "星城市岳麓区金星北路一段518号市民之家B区二楼",
        "address_en": "2F, Block B, Citizen Centre, 518 Jinxing North Road Section 1, "
        "Yuelu District, Xingcheng",
        "phone": "0731-88666110",
        "latitude": 28.234517,
        "longitude": 112.897436,
        "transit_zh": "地铁4号线市民之家站3号口出，步行约200米；公交106路、310路市民之家站下车",
        "transit_en": "Metro Line 4, Citizen Centre station, exit 3, then about 200 m on foot; "
        "or bus 106 or 310 to Citizen Centre",
        "hours": WEEKDAYS_SATURDAY_FULL,
        "services": ALL,
        "counters": [
            _one_window(1),
            _one_window(2),
            _one_window(3),
            _counter(4, "户政窗口", "Household registration window", HZ),
            _counter(5, "出入境窗口", "Exit-entry window", CRJ),
            _counter(6, "交管窗口", "Traffic window", JG),
            _counter(7, "治安窗口", "Public order window", ZA),
            _counter(8, "外国人服务窗口", "Foreign nationals' window", FOREIGNER),
        ],
    },
    {
        "code": "city-exit-entry",
        "kind": "hall",
        "district": "tianxin",
        "name_zh": "星城市公安局出入境管理支队服务大厅",
        "name_en": "Xingcheng Exit-Entry Administration Service Hall",
        "address_zh": "星城市天心区芙蓉中路三段266号",
        "address_en": "266 Furong Middle Road Section 3, Tianxin District, Xingcheng",
        "phone": "0731-85896110",
        "latitude": 28.171284,
        "longitude": 112.985903,
        "transit_zh": "地铁1号线侯家塘站1号口出，向南步行约400米",
        "transit_en": "Metro Line 1, Houjiatang station, exit 1, then about 400 m south on foot",
        "hours": SEVEN_DAYS,
        "services": CRJ,
        "counters": [
            _one_window(1),
            _one_window(2),
            _counter(3, "护照窗口", "Passport window", ["crj-passport", "crj-passport-reissue"]),
            _counter(
                4,
                "港澳台窗口",
                "Hong Kong, Macao and Taiwan window",
                ["crj-hk-macao-permit", "crj-taiwan-permit", *ENDORSEMENTS],
            ),
            _counter(5, "外国人服务窗口", "Foreign nationals' window", FOREIGNER),
            _counter(6, "查询窗口", "Records window", ["crj-entry-exit-record"]),
        ],
    },
    {
        "code": "wc-service-centre",
        "kind": "hall",
        "district": "wangcheng",
        "name_zh": "星城市望城区政务服务中心公安服务区",
        "name_en": "Wangcheng District Government Service Centre, Public Security Area",
        "address_zh": "星城市望城区郭亮中路16号政务服务中心一楼",
        "address_en": "1F, Government Service Centre, 16 Guoliang Middle Road, Wangcheng "
        "District, Xingcheng",
        "phone": "0731-88069110",
        "latitude": 28.291806,
        "longitude": 112.843615,
        "transit_zh": "地铁4号线望城区政府站1号口出，步行约350米",
        "transit_en": "Metro Line 4, Wangcheng District Government station, exit 1, then "
        "about 350 m on foot",
        "hours": WEEKDAYS_SATURDAY_MORNING,
        "services": [
            code
            for code in ALL
            if code
            not in (
                "crj-foreigner-visa-extension",
                "crj-foreigner-residence-permit",
                "za-large-event-permit",
                "za-fireworks-permit",
            )
        ],
        "counters": [
            _one_window(1),
            _one_window(2),
            _hukou_counter(3),
            _counter(4, "出入境窗口", "Exit-entry window", [c for c in CRJ if c not in FOREIGNER]),
            _counter(5, "交管窗口", "Traffic window", JG),
        ],
    },
    {
        "code": "fr-dingwangtai",
        "kind": "station",
        "district": "furong",
        "name_zh": "星城市公安局芙蓉分局定王台派出所",
        "name_en": "Dingwangtai Police Station, Furong Branch",
        "address_zh": "星城市芙蓉区解放西路188号",
        "address_en": "188 Jiefang West Road, Furong District, Xingcheng",
        "phone": "0731-84411236",
        "latitude": 28.193615,
        "longitude": 112.983472,
        "transit_zh": "地铁1号线黄兴广场站2号口出，步行约300米",
        "transit_en": "Metro Line 1, Huangxing Square station, exit 2, then about 300 m on foot",
        "hours": WEEKDAYS_SATURDAY_MORNING,
        "services": STATION + ["za-dog-registration", *ENDORSEMENTS],
        "counters": [
            _one_window(1),
            _hukou_counter(2),
            _order_counter(3),
            _counter(4, "出入境签注窗口", "Endorsement window", ENDORSEMENTS),
        ],
    },
    {
        "code": "fr-wenyilu",
        "kind": "station",
        "district": "furong",
        "name_zh": "星城市公安局芙蓉分局文艺路派出所",
        "name_en": "Wenyilu Police Station, Furong Branch",
        "address_zh": "星城市芙蓉区八一路37号",
        "address_en": "37 Bayi Road, Furong District, Xingcheng",
        "phone": "0731-84522871",
        "latitude": 28.200937,
        "longitude": 113.001284,
        "transit_zh": "地铁2号线芙蓉广场站4号口出，步行约500米",
        "transit_en": "Metro Line 2, Furong Square station, exit 4, then about 500 m on foot",
        "hours": WEEKDAYS,
        "services": STATION + ["jg-ebike-registration"],
        "counters": [_one_window(1), _hukou_counter(2)],
    },
    {
        "code": "tx-pozijie",
        "kind": "station",
        "district": "tianxin",
        "name_zh": "星城市公安局天心分局坡子街派出所",
        "name_en": "Pozijie Police Station, Tianxin Branch",
        "address_zh": "星城市天心区坡子街125号",
        "address_en": "125 Pozi Street, Tianxin District, Xingcheng",
        "phone": "0731-85123604",
        "latitude": 28.188452,
        "longitude": 112.972316,
        "transit_zh": "地铁1号线黄兴广场站6号口出，步行约450米",
        "transit_en": "Metro Line 1, Huangxing Square station, exit 6, then about 450 m on foot",
        "hours": WEEKDAYS_SATURDAY_MORNING,
        "services": STATION + ["za-dog-registration"],
        "counters": [_one_window(1), _hukou_counter(2), _order_counter(3)],
    },
    {
        "code": "tx-chengnanlu",
        "kind": "station",
        "district": "tianxin",
        "name_zh": "星城市公安局天心分局城南路派出所",
        "name_en": "Chengnanlu Police Station, Tianxin Branch",
        "address_zh": "星城市天心区城南西路58号",
        "address_en": "58 Chengnan West Road, Tianxin District, Xingcheng",
        "phone": "0731-85237719",
        "latitude": 28.180271,
        "longitude": 112.976845,
        "transit_zh": "地铁1号线南门口站3号口出，步行约350米",
        "transit_en": "Metro Line 1, Nanmenkou station, exit 3, then about 350 m on foot",
        "hours": WEEKDAYS,
        "services": STATION + ["jg-ebike-registration"],
        "counters": [_one_window(1), _hukou_counter(2)],
    },
    {
        "code": "yl-wangyuehu",
        "kind": "station",
        "district": "yuelu",
        "name_zh": "星城市公安局岳麓分局望月湖派出所",
        "name_en": "Wangyuehu Police Station, Yuelu Branch",
        "address_zh": "星城市岳麓区望月湖路32号",
        "address_en": "32 Wangyuehu Road, Yuelu District, Xingcheng",
        "phone": "0731-88851320",
        "latitude": 28.197364,
        "longitude": 112.944529,
        "transit_zh": "地铁2号线溁湾镇站1号口出，步行约600米",
        "transit_en": "Metro Line 2, Yingwanzhen station, exit 1, then about 600 m on foot",
        "hours": WEEKDAYS,
        "services": STATION + ["za-dog-registration"],
        "counters": [_one_window(1), _hukou_counter(2), _order_counter(3)],
    },
    {
        "code": "yl-meixihu",
        "kind": "station",
        "district": "yuelu",
        "name_zh": "星城市公安局岳麓分局梅溪湖派出所",
        "name_en": "Meixihu Police Station, Yuelu Branch",
        "address_zh": "星城市岳麓区梅溪湖路1099号",
        "address_en": "1099 Meixihu Road, Yuelu District, Xingcheng",
        "phone": "0731-88972415",
        "latitude": 28.196108,
        "longitude": 112.882743,
        "transit_zh": "地铁2号线梅溪湖东站2号口出，步行约400米",
        "transit_en": "Metro Line 2, Meixihu East station, exit 2, then about 400 m on foot",
        "hours": WEEKDAYS_SATURDAY_MORNING,
        "services": STATION + ["za-dog-registration", "jg-ebike-registration", *ENDORSEMENTS],
        "counters": [
            _one_window(1),
            _one_window(2),
            _hukou_counter(3),
            _counter(4, "交管窗口", "Traffic window", ["jg-ebike-registration"]),
        ],
    },
    {
        "code": "kf-wujialing",
        "kind": "station",
        "district": "kaifu",
        "name_zh": "星城市公安局开福分局伍家岭派出所",
        "name_en": "Wujialing Police Station, Kaifu Branch",
        "address_zh": "星城市开福区芙蓉中路一段452号",
        "address_en": "452 Furong Middle Road Section 1, Kaifu District, Xingcheng",
        "phone": "0731-84360728",
        "latitude": 28.225943,
        "longitude": 112.987315,
        "transit_zh": "地铁1号线培元桥站4号口出，步行约250米",
        "transit_en": "Metro Line 1, Peiyuanqiao station, exit 4, then about 250 m on foot",
        "hours": WEEKDAYS,
        "services": STATION + ["za-dog-registration"],
        "counters": [_one_window(1), _hukou_counter(2), _order_counter(3)],
    },
    {
        "code": "kf-sifangping",
        "kind": "station",
        "district": "kaifu",
        "name_zh": "星城市公安局开福分局四方坪派出所",
        "name_en": "Sifangping Police Station, Kaifu Branch",
        "address_zh": "星城市开福区三一大道306号",
        "address_en": "306 Sanyi Avenue, Kaifu District, Xingcheng",
        "phone": "0731-84791563",
        "latitude": 28.236581,
        "longitude": 113.018427,
        "transit_zh": "地铁3号线四方坪站1号口出，步行约300米",
        "transit_en": "Metro Line 3, Sifangping station, exit 1, then about 300 m on foot",
        "hours": WEEKDAYS,
        "services": STATION + ["jg-ebike-registration"],
        "counters": [_one_window(1), _hukou_counter(2)],
    },
    {
        "code": "yh-houjiatang",
        "kind": "station",
        "district": "yuhua",
        "name_zh": "星城市公安局雨花分局侯家塘派出所",
        "name_en": "Houjiatang Police Station, Yuhua Branch",
        "address_zh": "星城市雨花区劳动西路89号",
        "address_en": "89 Laodong West Road, Yuhua District, Xingcheng",
        "phone": "0731-85547302",
        "latitude": 28.172846,
        "longitude": 112.993651,
        "transit_zh": "地铁1号线侯家塘站3号口出，步行约200米",
        "transit_en": "Metro Line 1, Houjiatang station, exit 3, then about 200 m on foot",
        "hours": WEEKDAYS_SATURDAY_MORNING,
        "services": STATION + ["za-dog-registration", *ENDORSEMENTS],
        "counters": [
            _one_window(1),
            _hukou_counter(2),
            _order_counter(3),
            _counter(4, "出入境签注窗口", "Endorsement window", ENDORSEMENTS),
        ],
    },
    {
        "code": "yh-gaoqiao",
        "kind": "station",
        "district": "yuhua",
        "name_zh": "星城市公安局雨花分局高桥派出所",
        "name_en": "Gaoqiao Police Station, Yuhua Branch",
        "address_zh": "星城市雨花区远大一路218号",
        "address_en": "218 Yuanda 1st Road, Yuhua District, Xingcheng",
        "phone": "0731-84685193",
        "latitude": 28.194372,
        "longitude": 113.034816,
        "transit_zh": "地铁2号线万家丽广场站3号口出，步行约600米",
        "transit_en": "Metro Line 2, Wanjiali Square station, exit 3, then about 600 m on foot",
        "hours": WEEKDAYS,
        "services": STATION + ["jg-ebike-registration"],
        "counters": [_one_window(1), _hukou_counter(2)],
    },
    {
        "code": "wc-gaotangling",
        "kind": "station",
        "district": "wangcheng",
        "name_zh": "星城市公安局望城分局高塘岭派出所",
        "name_en": "Gaotangling Police Station, Wangcheng Branch",
        "address_zh": "星城市望城区雷锋大道1128号",
        "address_en": "1128 Leifeng Avenue, Wangcheng District, Xingcheng",
        "phone": "0731-88112640",
        "latitude": 28.283917,
        "longitude": 112.851362,
        "transit_zh": "地铁4号线马厂站2号口出，步行约500米",
        "transit_en": "Metro Line 4, Machang station, exit 2, then about 500 m on foot",
        "hours": SUBURBAN,
        "services": STATION + ["za-dog-registration", "jg-ebike-registration"],
        "counters": [_one_window(1), _hukou_counter(2), _order_counter(3)],
    },
    {
        "code": "wc-dingziwan",
        "kind": "station",
        "district": "wangcheng",
        "name_zh": "星城市公安局望城分局丁字湾派出所",
        "name_en": "Dingziwan Police Station, Wangcheng Branch",
        "address_zh": "星城市望城区丁字湾街道书堂路9号",
        "address_en": "9 Shutang Road, Dingziwan Subdistrict, Wangcheng District, Xingcheng",
        "phone": "0731-88273058",
        "latitude": 28.296254,
        "longitude": 112.905781,
        "transit_zh": "公交352路丁字湾街道站下车，步行约150米",
        "transit_en": "Bus 352 to Dingziwan Subdistrict, then about 150 m on foot",
        "hours": SUBURBAN,
        "services": STATION + ["jg-ebike-registration"],
        "counters": [_one_window(1), _hukou_counter(2)],
    },
]

# What residents type instead of the official names (口语、俗称、旧称), by service code.
SEARCH_TERMS = {
    "za-no-criminal-record": [
        "良民证",
        "无犯罪证明",
        "无犯罪记录",
        "开无犯罪证明",
        "政审证明",
        "police clearance",
        "criminal record check",
    ],
    "hz-id-card-replacement": [
        "身份证丢了",
        "身份证掉了",
        "身份证补办",
        "补身份证",
        "身份证挂失",
        "lost ID card",
    ],
    "hz-id-card-renewal": ["身份证过期", "身份证到期", "换身份证"],
    "hz-first-id-card": ["办身份证", "第一次办身份证"],
    "hz-temporary-id-card": ["临时身份证"],
    "hz-booklet-replacement": ["户口本", "户口本丢了", "补户口本", "household register"],
    "hz-household-certificate": ["户口证明", "户籍证明"],
    "hz-birth-registration": ["报户口", "新生儿上户口", "上户口"],
    "hz-move-in": ["户口迁移", "落户"],
    "hz-move-out": ["迁户口"],
    "hz-name-change": ["改名", "改名字"],
    "hz-residence-permit": ["暂住证"],
    "crj-passport": ["护照", "办护照", "passport"],
    "crj-passport-reissue": ["护照过期", "护照丢了", "换护照"],
    "crj-hk-macao-permit": ["港澳通行证", "回乡证", "去香港", "去澳门"],
    "crj-hk-macao-endorsement": ["港澳签注", "续签港澳"],
    "crj-taiwan-permit": ["台湾通行证", "台胞证", "去台湾"],
    "crj-entry-exit-record": ["出入境记录", "出境记录"],
    "crj-foreigner-visa-extension": ["签证延期", "visa"],
    "jg-licence-renewal": ["驾照", "驾照到期", "驾照换证", "换驾照", "driver's license"],
    "jg-licence-replacement": ["驾照丢了", "补驾照", "驾照补办"],
    "jg-vehicle-registration": ["上牌", "新车上牌", "car registration"],
    "jg-vehicle-transfer": ["过户", "二手车过户"],
    "jg-violation-handling": ["违章", "处理违章", "罚单"],
    "jg-inspection-mark": ["年检", "年审"],
    "jg-temporary-plate": ["临牌"],
    "jg-ebike-registration": ["电动车上牌", "电瓶车上牌"],
    "za-security-guard-certificate": ["保安证"],
    "za-dog-registration": ["狗证", "办狗证"],
    "za-seal-engraving": ["刻章", "公章"],
    "za-rental-housing": ["出租房登记", "房屋出租"],
}

CATALOGUE = {
    "categories": CATEGORIES,
    "services": SERVICES,
    "aliases": SEARCH_TERMS,
    "districts": DISTRICTS,
    "offices": OFFICES,
}

DEMO_ADMIN = {
    "username": "admin",
    "email": "admin@onewindow.local",
    "password": "onewindow-admin",
}


# 一件事 bundles (national programme 高效办成一件事): the services one life event needs.
BUNDLES = [
    {
        "code": "newborn", "name_zh": "新生儿出生一件事", "name_en": "A birth, in one go",
        "description_zh": "出生登记与首次申领居民身份证一次办：出生登记可网上申请，"
        "身份证需到窗口采集照片和指纹，一次预约、一个号办完。",
        "description_en": "Register the birth and apply for the child's first ID card in one go: "
        "the registration can be done online; the ID card needs a photo and fingerprints at "
        "the counter, in one visit with one booking and one ticket.",
        "services": ["hz-birth-registration", "hz-first-id-card"],
    },
    {
        "code": "move-in", "name_zh": "户口迁入一件事", "name_en": "Moving your household in, "
        "in one go",
        "description_zh": "准迁证、迁入登记后换领身份证和户口簿，一次申请、一次到窗口办完。",
        "description_en": "The permit to move, then the new ID card and household booklet: one "
        "application and one visit to the counter.",
        "services": ["hz-move-in", "hz-id-card-renewal", "hz-booklet-replacement"],
    },
    {
        "code": "job-certificates", "name_zh": "求职就业证明一件事",
        "name_en": "Certificates for a new job, in one go",
        "description_zh": "无犯罪记录证明、户籍证明和驾驶人安全驾驶证明一次网上申请，"
        "姓名、身份证号、用途和接收单位只填一次，身份证照片只传一次。",
        "description_en": "The no-criminal-record, household registration and safe-driving "
        "certificates in one online application: your name, ID number, purpose and the "
        "receiving organisation asked once, your ID card photos uploaded once.",
        "services": ["za-no-criminal-record", "hz-household-certificate",
                     "jg-safe-driving-certificate"],
    },
]
