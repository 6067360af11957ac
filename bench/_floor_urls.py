"""The floor view of bench/booking_floor.py, in front of the project's own URLs.

`POST /bench/floor/` with `{"slot": N}` does the least a booking can do and still never
overbook: in one transaction, one conditional UPDATE of the slot's counter and one INSERT of
the booking row, then a small JSON answer. No authentication, no validation, no rules, no
audit, no notification. Served only by the benchmark's own gunicorn, on its own database.
"""

import json

from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def floor(request):
    body = request.body.decode()
    slot = json.loads(body)["slot"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE floor_slot SET booked = booked + 1 WHERE id = %s AND booked < bookable "
            "RETURNING id",
            [slot],
        )
        if cursor.fetchone() is None:
            return JsonResponse({"error": "slot_full"}, status=409)
        cursor.execute(
            "INSERT INTO floor_booking (slot_id, payload) VALUES (%s, %s) RETURNING id",
            [slot, body],
        )
        booking = cursor.fetchone()[0]
    return JsonResponse({"id": booking, "status": "booked"}, status=201)


urlpatterns = [path("bench/floor/", floor), *project_urlpatterns]
