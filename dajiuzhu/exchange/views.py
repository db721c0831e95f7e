"""Staff pages: the API clients (suspend / resume at once), dead letters (send again), kept-aside events."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dajiuzhu.core.errors import DomainError
from dajiuzhu.regions.models import Region

from . import selectors
from .callbacks import callback_resend
from .records import FIELDS
from .services import client_resume, client_suspend


def _require(request) -> None:
    if not request.user.has_perm_code(selectors.PERM):
        raise PermissionDenied


@login_required
def clients(request):
    _require(request)
    rows = list(selectors.client_list(actor=request.user))
    names = dict(Region.objects.filter(code__in={c.region_prefix.ljust(12, "0") for c in rows})
                 .values_list("code", "name"))
    for c in rows:
        c.region_name = names.get(c.region_prefix.ljust(12, "0"), c.region_prefix)
        c.field_names = [str(FIELDS.get(f, f)) for f in c.fields]
    return render(request, "exchange/clients.html", {
        "clients": rows, "field_labels": FIELDS,
        "dead": selectors.dead_letters(actor=request.user)[:200],
        "kept": selectors.kept_aside(actor=request.user)[:200],
    })


@login_required
@require_POST
def suspend(request, pk: int):
    _require(request)
    client = selectors.client_get(actor=request.user, pk=pk)
    try:
        if client.is_active:
            client_suspend(actor=request.user, client=client, reason=request.POST.get("reason", ""))
            messages.success(request, _("The client is suspended: every request is refused from now on."))
        else:
            client_resume(actor=request.user, client=client)
            messages.success(request, _("The client may use the API again."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("exchange:clients")


@login_required
@require_POST
def resend(request, pk: int):
    _require(request)
    callback = selectors.callback_get(actor=request.user, pk=pk)
    callback_resend(actor=request.user, callback=callback)
    messages.success(request, _("The message will be sent again."))
    return redirect("exchange:clients")
