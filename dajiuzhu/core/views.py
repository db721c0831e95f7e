from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render


@login_required
def home(request):
    """The home page by role: what this user can do, in their region."""
    return render(request, "core/home.html", {"region": request.user.region})


def healthz(request):
    """Liveness and database check for load balancers and monitors."""
    status = {"web": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"] = "ok"
    except Exception:  # noqa: BLE001
        status["database"] = "error"
    healthy = all(value == "ok" for value in status.values())
    return JsonResponse(status, status=200 if healthy else 503)
