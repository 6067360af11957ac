"""Every write of documents. Requests here; certificates in actions/certificates.py."""

from .apply import (  # noqa: F401
    ApplicationInvalid,
    DefinitionInvalid,
    application_check,
    application_validate,
    doc_type_publish,
    materials_missing_labels,
    request_apply,
    version_current,
)
from .bundles import bundle_apply, bundle_form  # noqa: F401
from .errors import *  # noqa: F401,F403
from .requests import (  # noqa: F401
    decision_confirm,
    decision_decline,
    decision_propose,
    material_add,
    material_kinds,
    material_remove,
    materials_missing,
    request_approve,
    request_ask_info,
    request_draft_create,
    request_draft_update,
    request_read_record,
    request_resubmit,
    request_start_review,
    request_submit,
    request_withdraw,
    second_factor_fresh,
)
