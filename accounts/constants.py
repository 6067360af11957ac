"""What each role may do: the one table. `accounts.backends.RoleBackend` reads it for every
permission check (admin, pages, API); office scoping then narrows each permission to the offices
where the user holds a role that grants it (`accounts.selectors.office_ids_with_perm`).

Permissions are named as strings ("app_label.codename") and compared as strings, so the table can
name the models of the apps above accounts (queues, documents, feedback, reports) without
importing them; nothing looks them up in the database. Keys are `accounts.models.Role` values.
"""


def _crud(app_label: str, model: str, *actions: str) -> set[str]:
    return {f"{app_label}.{action}_{model}" for action in actions}


_VIEW, _EDIT, _ALL = ("view",), ("view", "add", "change"), ("view", "add", "change", "delete")

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    # Works a counter: sees the bookings of the offices where they are a clerk.
    "clerk": frozenset(
        _crud("appointments", "booking", *_VIEW) | _crud("queues", "ticket", "view", "change")
        # Unlocks a booking or mailbox message locked after wrong answers, holder's ID checked.
        | _crud("accounts", "lookuplock", "view", "change")
    ),
    # Decides document requests; sees bookings to check a resident's history.
    "reviewer": frozenset(
        _crud("appointments", "booking", *_VIEW)
        | _crud("documents", "documentrequest", "view", "change")  # the review console
        | _crud("documents", "requestmaterial", *_VIEW)
        | _crud("documents", "pendingdecision", *_VIEW)
        | _crud("documents", "certificate", *_VIEW)
    ),
    # Runs an office: hours, counters, capacity (schedules, slots), closures; sees its bookings,
    # its waiting list and who works there.
    "manager": frozenset(
        _crud("appointments", "schedule", *_EDIT)
        | _crud("appointments", "scheduleperiod", *_ALL)  # rows of the schedule's inline
        | _crud("appointments", "closure", *_EDIT)
        | _crud("appointments", "slot", "view", "change")  # slots come from schedules
        | _crud("appointments", "booking", *_VIEW)
        | _crud("appointments", "waitinglistentry", *_VIEW)
        | _crud("services", "office", "view", "change")  # to reach the hours and counters inlines
        | _crud("services", "openinghours", *_ALL)
        | _crud("services", "counter", *_EDIT)
        | _crud("accounts", "staffrole", *_VIEW)
        | _crud("queues", "ticket", "view", "change")  # the counter console and live office view
        | _crud("accounts", "lookuplock", "view", "change")  # unlocking at the counter
        | _crud("queues", "servicelevel", *_EDIT)
        | _crud("queues", "kiosk", *_EDIT)
        | _crud("reports", "dailyfigure", *_VIEW)  # the statistics of their offices
        # Evaluations of their offices, the follow-up cases of bad ratings, the director's
        # mailbox (feedback/): they close cases and answer messages.
        | _crud("feedback", "invitation", *_VIEW)  # who was invited; never the contact
        | _crud("feedback", "evaluation", *_VIEW)
        | _crud("feedback", "followupcase", "view", "change")
        | _crud("feedback", "mailboxitem", "view", "change")
        # Decides document requests too (the second officer of a refusal or revocation).
        | _crud("documents", "documentrequest", "view", "change")
        | _crud("documents", "requestmaterial", *_VIEW)
        | _crud("documents", "pendingdecision", *_VIEW)
        | _crud("documents", "certificate", *_VIEW)
        # Defines the online services (their forms, materials, review and outcome) in the
        # admin; each save publishes a form version (documents/admin.py).
        | _crud("documents", "documenttype", *_EDIT)
        | _crud("documents", "documenttypeversion", *_VIEW)
        # 一件事 bundles of services (services/admin.py), and their applications.
        | _crud("services", "bundle", *_EDIT)
        | _crud("services", "bundlepart", *_ALL)
        | _crud("documents", "bundleapplication", *_VIEW)
    ),
    # Reads the audit trail, the sign-in records and the statistics; changes nothing.
    "auditor": frozenset(
        _crud("accounts", "auditentry", *_VIEW)
        | _crud("reports", "dailyfigure", *_VIEW)
        | _crud("accounts", "staffrole", *_VIEW)
        | _crud("axes", "accessattempt", *_VIEW)
        | _crud("axes", "accesslog", *_VIEW)
        | _crud("axes", "accessfailurelog", *_VIEW)
    ),
    # Manages people and machines: users, their roles, API clients, sign-in locks, lost
    # authenticators (deleting a device makes its owner enrol again at the next sign-in), and
    # the Celery tasks in flight or failed for good and the outbox of side effects (read-only).
    "sysadmin": frozenset(
        _crud("accounts", "user", *_ALL)
        | _crud("core", "taskdelivery", *_VIEW)
        | _crud("core", "outboxmessage", *_VIEW)
        | _crud("accounts", "staffrole", *_ALL)
        | _crud("accounts", "apiclient", "view", "change")
        | _crud("axes", "accessattempt", "view", "delete")
        | _crud("axes", "accesslog", *_VIEW)
        | _crud("axes", "accessfailurelog", *_VIEW)
        | _crud("otp_totp", "totpdevice", "view", "delete")
        | _crud("otp_static", "staticdevice", "view", "delete")
    ),
}


def permissions_for_roles(roles: set[str] | frozenset[str]) -> frozenset[str]:
    return frozenset().union(*(ROLE_PERMISSIONS.get(role, frozenset()) for role in roles))


def roles_with_permission(perm: str) -> tuple[str, ...]:
    return tuple(role for role, perms in ROLE_PERMISSIONS.items() if perm in perms)
