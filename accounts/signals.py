"""Hooks through which apps above accounts act on a resident's own rows.

accounts sits below services and appointments in the import order (core ← accounts ← services ←
appointments), so it cannot reach their models. Instead it announces the event and each app that
holds a resident's data connects a receiver in its `AppConfig.ready()` (see
appointments/receivers.py). Other apps import a signal from the module that sends it
(`accounts.actions.resident_deleting`, `accounts.selectors.resident_data_requested`): the
import rules let them reach models, actions and selectors only.

- `resident_deleting` is sent inside `accounts.actions.resident_delete`'s transaction, before the
  account is deleted, with `user` and `id_number_hmac` ("" if no ID number was ever linked).
  A receiver anonymises its rows; if it raises, the whole deletion rolls back (`send`, not
  `send_robust`): an account is never half deleted. A receiver leaves foreign keys to the user
  alone: they are SET_NULL when the account is deleted, after every receiver has run, and until
  then they tell the other receivers (called in the order of INSTALLED_APPS) whose rows are whose.
  Contact details that other apps find rows by (a walk-in ticket's mobile number) stay too.
- `resident_forgetting` follows, in the same transaction and with the same arguments, once every
  `resident_deleting` receiver has run: a receiver drops the contact details it kept for the
  others (queues/receivers.py). The same rule: if it raises, nothing is deleted.
- `resident_data_requested` is sent by `accounts.selectors.resident_data` with the same
  arguments; each receiver returns a dict of JSON-ready sections (e.g. {"bookings": [...]}) that is
  merged into the resident's data export.
"""

from django.dispatch import Signal

resident_deleting = Signal()
resident_forgetting = Signal()
resident_data_requested = Signal()
