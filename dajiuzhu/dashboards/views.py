from __future__ import annotations

import itertools

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from .selectors import dashboard_data, dashboard_home_code, summary_label


@login_required
def home(request):
    if not request.user.has_perm_code("dashboards.view"):
        raise Http404
    return redirect("dashboards:region", code=dashboard_home_code(request.user))


@login_required
def region(request, code: str):
    data = dashboard_data(actor=request.user, code=code, period=request.GET.get("period", ""))
    summary = [{"key": k, "label": summary_label(k), "value": v} for k, v in data["summary"].items()]
    levels, outcomes = data["alerts_by_level"], data["alerts_by_outcome"]
    alert_rows = list(itertools.zip_longest(levels, outcomes))
    return render(request, "dashboards/region.html", {"data": data, "summary": summary, "alert_rows": alert_rows})
