"""Office scoping for admin pages: a staff member sees and edits the rows of the offices where a
role grants the permission in question, nothing else. Rows of other offices are not in the
queryset, so their pages answer 404 — for a guessed URL too (history and delete included).

Usage: `class BookingAdmin(OfficeScopedAdminMixin, admin.ModelAdmin): office_field = "office"`.
`office_field` is the path from the model to its office's primary key ("id" for Office itself,
"schedule__office" across a relation).
"""

from django.db.models import Q
from django.http import Http404, HttpRequest

from .selectors import office_ids_with_perm


class OfficeScopedAdminMixin:
    office_field = "office"
    # Rows without an office (a public holiday for every office) are shown to anyone who may view
    # the model; changing them needs a bureau-wide role.
    rows_without_office_visible = False

    def _perm(self, action: str) -> str:
        return f"{self.opts.app_label}.{action}_{self.opts.model_name}"

    def _office_ids(self, request: HttpRequest, *actions: str) -> set[int] | None:
        return office_ids_with_perm(request.user, *(self._perm(action) for action in actions))

    def _office_id_of(self, obj) -> int | None:
        *path, last = self.office_field.split("__")
        for part in path:
            obj = getattr(obj, part)
        return obj.pk if last in ("id", "pk") else getattr(obj, f"{last}_id")

    def _in_scope(self, request: HttpRequest, obj, *actions: str, viewing: bool = False) -> bool:
        ids = self._office_ids(request, *actions)
        if ids is None:
            return True
        office_id = self._office_id_of(obj)
        if office_id is None:
            return viewing and self.rows_without_office_visible
        return office_id in ids

    def get_queryset(self, request: HttpRequest):
        queryset = super().get_queryset(request)
        ids = self._office_ids(request, "view", "change")
        if ids is None:
            return queryset
        rows = Q(**{f"{self.office_field}__in": ids})
        if self.rows_without_office_visible:
            rows |= Q(**{f"{self.office_field}__isnull": True})
        return queryset.filter(rows)

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:  # elsewhere, or nowhere: the same answer, so nothing can be probed
            raise Http404
        return obj

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_view_permission(request, obj)
        return allowed and (
            obj is None or self._in_scope(request, obj, "view", "change", viewing=True)
        )

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self._in_scope(request, obj, "change"))

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self._in_scope(request, obj, "delete"))

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        """The office drop-down lists the offices where the user may add or change rows; for
        someone without a bureau-wide role it cannot be left empty (no public holidays)."""
        if db_field.name != self.office_field.split("__")[0] or "__" in self.office_field:
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        ids = self._office_ids(request, "add", "change")
        if ids is not None:
            kwargs["queryset"] = db_field.related_model._default_manager.filter(pk__in=ids)
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if ids is not None and formfield is not None:
            formfield.required = True
        return formfield


class ServiceOfferedAdminMixin(OfficeScopedAdminMixin):
    """Rows that belong to a catalogue service rather than to one office (an online service's
    definition): a manager sees and changes those of the services their offices offer, and
    picks only such services; a bureau-wide role or a superuser sees all."""

    service_field = "service"

    def _offered_at(self, ids: set[int]) -> Q:
        return Q(**{f"{self.service_field}__offices__in": ids})

    def _in_scope(self, request: HttpRequest, obj, *actions: str, viewing: bool = False) -> bool:
        ids = self._office_ids(request, *actions)
        if ids is None:
            return True
        service = getattr(obj, self.service_field, None)
        return service is not None and service.offices.filter(pk__in=ids).exists()

    def get_queryset(self, request: HttpRequest):
        queryset = super(OfficeScopedAdminMixin, self).get_queryset(request)
        ids = self._office_ids(request, "view", "change")
        if ids is None:
            return queryset
        return queryset.filter(pk__in=queryset.filter(self._offered_at(ids)).values("pk"))

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name != self.service_field:
            return super(OfficeScopedAdminMixin, self).formfield_for_foreignkey(
                db_field, request, **kwargs
            )
        ids = self._office_ids(request, "add", "change")
        if ids is not None:
            offered = db_field.related_model._default_manager.filter(offices__in=ids)
            kwargs["queryset"] = offered.distinct()
        return super(OfficeScopedAdminMixin, self).formfield_for_foreignkey(
            db_field, request, **kwargs
        )
