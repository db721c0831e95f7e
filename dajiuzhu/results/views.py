"""Pages of the results database: records, a household's history, deliveries, payment batches,
recoveries, the monthly report and outcomes. Thin: parse → one service or selector → render."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.normalise import parse_date, parse_decimal
from dajiuzhu.core.scoping import actor_prefix
from dajiuzhu.core.uploads import upload_job_enqueue, upload_job_url
from dajiuzhu.core.views import require_perm

from . import jobs, payments, reports, selectors, services, xlsx
from .models import BatchStatus, Kind, LineStatus, Source

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _filters(request) -> selectors.RecordFilters:
    household = request.GET.get("household", "")
    return selectors.RecordFilters(
        region=request.GET.get("region", "").strip(), item=request.GET.get("item", "").strip(),
        source=request.GET.get("source", ""), kind=request.GET.get("kind", ""),
        month=request.GET.get("month", "").strip(), household=int(household) if household.isdigit() else None,
    )


RECORD_HEADERS = [
    gettext_noop("date"),
    gettext_noop("household"),
    gettext_noop("member"),
    gettext_noop("region"),
    gettext_noop("item"),
    gettext_noop("category"),
    gettext_noop("kind"),
    gettext_noop("amount"),
    gettext_noop("quantity"),
    gettext_noop("goods"),
    gettext_noop("service"),
    gettext_noop("hours"),
    gettext_noop("provider"),
    gettext_noop("department / organisation"),
    gettext_noop("period from"),
    gettext_noop("period to"),
    gettext_noop("source"),
    gettext_noop("case"),
]


def _record_row(r) -> list:
    return [r.given_on, r.household.number, r.person.name if r.person else "", r.region_code, r.item_name,
            r.get_category_display(), r.get_kind_display(), r.amount, r.quantity, r.goods, r.service_kind,
            r.service_hours, r.provider, r.department.name if r.department else r.organisation, r.period_start,
            r.period_end, r.get_source_display(), r.case_id_ref or ""]


@login_required
def record_list(request):
    require_perm(request, "results.view", "results.deliver", not_found=True)
    filters = _filters(request)
    qs = selectors.record_list(actor=request.user, filters=filters)
    if request.GET.get("format") == "xlsx":
        rows = (_record_row(r) for r in qs[:100_000])
        return _xlsx_response(xlsx.list_to_xlsx(title=_("Assistance records"),
                                                headers=[_(h) for h in RECORD_HEADERS], rows=rows),
                              f"assistance-records-{timezone.localdate():%Y%m%d}.xlsx")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "results/record_list.html", {
        "page": page, "filters": filters, "sources": Source.choices, "kinds": Kind.choices,
        "query": request.GET.urlencode(),
    })


def _item_choices() -> list[tuple[str, str]]:
    from .items import KNOWN

    choices = {code: info.name for code, info in KNOWN.items()}
    try:
        from dajiuzhu.programs.models import AssistanceItem
    except ImportError:
        return sorted(choices.items())
    choices.update(dict(AssistanceItem.objects.filter(active=True).values_list("code", "name")))
    return sorted(choices.items())


@login_required
def household_history(request, pk: int):
    require_perm(request, "results.view", not_found=True)
    history = selectors.household_history(actor=request.user, household_id=pk)
    can_record = request.user.has_perm_code("results.record")
    if request.method == "POST":
        if not can_record:
            raise Http404
        post = request.POST
        try:
            data = services.RecordInput(
                item_code=post.get("item_code", "").strip(), kind=post.get("kind", Kind.CASH),
                amount=parse_decimal(post.get("amount")) or Decimal("0"),
                quantity=parse_decimal(post.get("quantity")), goods=post.get("goods", "").strip(),
                service_kind=post.get("service_kind", "").strip(), service_hours=parse_decimal(post.get("service_hours")),
                provider=post.get("provider", "").strip(), given_on=parse_date(post.get("given_on")) or timezone.localdate(),
                note=post.get("note", "").strip()[:200],
            )
            services.assistance_record_create(actor=request.user, household=history["household"], data=data,
                                              source=Source.MANUAL)
        except ValueError as exc:
            messages.error(request, str(exc))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("assistance recorded"))
            return redirect("results:household", pk=pk)
    if request.GET.get("format") == "xlsx":
        rows = (_record_row(r) for r in history["records"])
        return _xlsx_response(xlsx.list_to_xlsx(title=history["household"].number,
                                                headers=[_(h) for h in RECORD_HEADERS], rows=rows),
                              f"household-{history['household'].number}.xlsx")
    return render(request, "results/household_history.html", {
        **history, "printed_at": timezone.now(), "can_record": can_record, "kinds": Kind.choices,
        "item_choices": _item_choices() if can_record else [], "today": timezone.localdate(),
    })


# --- deliveries ------------------------------------------------------------------------------

@login_required
def delivery_list(request):
    require_perm(request, "results.deliver", "results.record", "results.view", not_found=True)
    if request.method == "POST":
        require_perm(request, "results.deliver", "results.record", not_found=True)
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("choose a file to upload"))
        else:
            # Kept sealed and read by a job, never in this request; the job's page shows the outcome.
            job = upload_job_enqueue(upload, kind=jobs.DELIVERY, actor=request.user,
                                     title=_("Delivery of assistance records"),
                                     region_code=request.user.region_id or "")
            return redirect(upload_job_url(job))
    deliveries = selectors.delivery_list(actor=request.user)[:500]
    if request.GET.get("format") == "xlsx":
        headers = [_("Time"), _("From"), _("File"), _("Rows"), _("Records created"), _("Already recorded"),
                   _("Kept aside")]
        rows = ((timezone.localtime(d.delivered_at).strftime("%Y-%m-%d %H:%M"),
                 d.department.name if d.department else d.organisation, d.filename, d.rows, d.created, d.duplicates,
                 d.kept_aside) for d in deliveries)
        if not services.may_see_matching(request.user):  # no counts that tell who is in the registry
            headers, rows = headers[:4], (row[:4] for row in rows)
        return _xlsx_response(xlsx.list_to_xlsx(title=_("Deliveries"), headers=headers, rows=rows), "deliveries.xlsx")
    return render(request, "results/delivery_list.html", {"deliveries": deliveries, "columns": services.DELIVERY_COLUMNS,
                                                          "matching": services.may_see_matching(request.user)})


@login_required
def delivery_detail(request, pk: int):
    delivery = selectors.delivery_get(actor=request.user, pk=pk)
    matching = services.may_see_matching(request.user)
    kept = delivery.kept_rows.all() if matching else delivery.kept_rows.exclude(data__has_key="unmatched")
    if request.GET.get("format") == "xlsx":
        return _xlsx_response(xlsx.list_to_xlsx(title=_("Rows kept aside"),
                                                headers=[_("line"), _("ID number"), _("name"), _("reason")],
                                                rows=((k.line, k.id_masked, k.name, k.reason) for k in kept)),
                              f"delivery-{delivery.pk}-kept-aside.xlsx")
    return render(request, "results/delivery_detail.html", {"delivery": delivery, "kept": kept, "matching": matching,
                                                            "accepted": delivery.rows - kept.count()
                                                            if not matching else None})


# --- payments --------------------------------------------------------------------------------

@login_required
def batch_list(request):
    require_perm(request, "results.view", not_found=True)
    if request.method == "POST":
        try:
            month = dt.date.fromisoformat(request.POST.get("month", "") + "-01")
            batch = payments.payment_batch_generate(actor=request.user, month=month,
                                                    region_code=request.POST.get("region", request.user.region_id))
        except ValueError:
            messages.error(request, _("give the month as YYYY-MM"))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("batch %(number)s generated with %(n)d lines")
                             % {"number": batch.number, "n": batch.line_count})
            return redirect("results:batch", pk=batch.pk)
    batches = selectors.batch_list(actor=request.user)
    if request.GET.get("format") == "xlsx":
        rows = ((b.number, f"{b.month:%Y-%m}", b.region_code, b.get_status_display(), b.line_count, b.total_amount,
                 b.paid_count, b.failed_count, str(b.generated_by), str(b.approved_by or "")) for b in batches)
        headers = [_("batch number"), _("month"), _("region"), _("status"), _("lines"), _("total"), _("paid"),
                   _("failed"), _("generated by"), _("approved by")]
        return _xlsx_response(xlsx.list_to_xlsx(title=_("Payment batches"), headers=headers, rows=rows),
                              "payment-batches.xlsx")
    next_month = (timezone.localdate().replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return render(request, "results/batch_list.html", {
        "batches": batches[:200], "default_month": f"{next_month:%Y-%m}",
        "can_generate": request.user.has_perm_code("payments.manage"),
    })


@login_required
def batch_detail(request, pk: int):
    batch = selectors.batch_get(actor=request.user, pk=pk)
    status = request.GET.get("status", "")
    lines = selectors.batch_lines(batch=batch, status=status)
    if request.GET.get("format") == "xlsx":
        headers = [_("line"), _("payee"), _("household"), _("region"), _("item"), _("amount due"),
                   _("recovery deducted"), _("amount paid"), _("status"), _("failure reason")]
        rows = ((x.line_no, x.payee_name, x.household.number, x.region_code, x.item_name, x.gross_amount,
                 x.deduction, x.amount, x.get_status_display(), x.failure_reason) for x in lines)
        return _xlsx_response(xlsx.list_to_xlsx(title=batch.number, headers=headers, rows=rows),
                              f"{batch.number}.xlsx")
    page = Paginator(lines, 100).get_page(request.GET.get("page"))
    return render(request, "results/batch_detail.html", {
        "batch": batch, "page": page, "status": status, "statuses": LineStatus.choices,
        "failures": batch.check_report.get("failures", []), "totals": batch.check_report.get("totals", []),
        "can_manage": request.user.has_perm_code("payments.manage"),
        "can_approve": request.user.has_perm_code("payments.approve") and batch.generated_by_id != request.user.pk,
        "BatchStatus": BatchStatus,
    })


@login_required
@require_POST
def batch_action(request, pk: int, action: str):
    batch = selectors.batch_get(actor=request.user, pk=pk)
    try:
        if action == "check":
            batch = payments.payment_batch_check(actor=request.user, batch=batch)
            failures = len(batch.check_report["failures"])
            (messages.warning if failures else messages.success)(
                request, _("checked: %(n)d failures") % {"n": failures})
        elif action == "approve":
            payments.payment_batch_approve(actor=request.user, batch=batch)
            messages.success(request, _("batch approved"))
        elif action == "exclude":
            line = batch.lines.get(line_no=int(request.POST.get("line", "0")))
            payments.payment_line_exclude(actor=request.user, line=line, reason=request.POST.get("reason", ""))
            messages.success(request, _("line taken out; check the batch again"))
        elif action == "cancel":
            payments.payment_batch_cancel(actor=request.user, batch=batch, reason=request.POST.get("reason", ""))
            messages.success(request, _("batch cancelled"))
        elif action == "export":
            encoding = request.POST.get("encoding", "gbk")
            content = payments.payment_batch_export(actor=request.user, batch=batch, encoding=encoding)
            response = HttpResponse(content, content_type=f"text/csv; charset={'utf-8' if encoding == 'utf-8' else 'gbk'}")
            response["Content-Disposition"] = f'attachment; filename="{batch.number}.csv"'
            return response
        elif action == "reconcile":
            upload = request.FILES.get("file")
            if upload is None:
                raise DomainError(_("choose the bank's return file"))
            # Kept sealed and read by a job, never in this request; the job's page shows the outcome.
            job = upload_job_enqueue(upload, kind=jobs.RECONCILE, actor=request.user,
                                     title=_("Bank return file of batch %(number)s") % {"number": batch.number},
                                     params={"batch_id": batch.pk}, region_code=batch.region_code)
            return redirect(upload_job_url(job))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    except (ValueError, batch.lines.model.DoesNotExist):
        messages.error(request, _("no such line"))
    return redirect("results:batch", pk=batch.pk)


@login_required
def recovery_list(request):
    require_perm(request, "results.view", not_found=True)
    recoveries = selectors.recovery_list(actor=request.user, open_only=request.GET.get("open") == "1")
    if request.GET.get("format") == "xlsx":
        headers = [_("household"), _("region"), _("item"), _("reason"), _("overpaid"), _("recovered"), _("balance"),
                   _("status")]
        rows = ((r.household.number, r.region_code, r.item_code, r.reason, r.amount, r.recovered, r.balance,
                 r.get_status_display()) for r in recoveries)
        return _xlsx_response(xlsx.list_to_xlsx(title=_("Recoveries"), headers=headers, rows=rows),
                              "recoveries.xlsx")
    return render(request, "results/recovery_list.html", {"recoveries": recoveries[:500]})


# --- report and outcomes ---------------------------------------------------------------------

@login_required
def monthly_report(request):
    require_perm(request, "results.view", not_found=True)
    today = timezone.localdate()
    month = request.GET.get("month") or f"{today:%Y-%m}"
    region = request.GET.get("region") or request.user.region_id
    try:
        report = reports.monthly_report(actor=request.user, region_code=region, month=month)
    except ValueError:
        raise Http404 from None
    if request.GET.get("format") == "xlsx":
        return _xlsx_response(xlsx.report_to_xlsx(report), f"minzheng-report-{report['region'].code}-{month}.xlsx")
    return render(request, "results/report.html", {"report": report, "month": month})


@login_required
def outcome_list(request):
    require_perm(request, "results.view", not_found=True)
    rows = selectors.outcomes(actor=request.user, region=request.GET.get("region", ""))
    if request.GET.get("format") == "xlsx":
        headers = [_("household"), _("first assistance"), _("records"), _("total"), _("development before"),
                   _("development now"), _("change"), _("tiers before"), _("tiers now")]
        data = ((r["number"], r["first_given"], r["records"], r["total"], r["development_before"],
                 r["development_now"], r["development_change"], ", ".join(r["tiers_before"]),
                 ", ".join(r["tiers_now"])) for r in rows)
        return _xlsx_response(xlsx.list_to_xlsx(title=_("Outcomes"), headers=headers, rows=data), "outcomes.xlsx")
    improved = sum(1 for r in rows if (r["development_change"] or 0) > 0)
    worse = sum(1 for r in rows if (r["development_change"] or 0) < 0)
    return render(request, "results/outcomes.html", {"rows": rows, "improved": improved, "worse": worse,
                                                     "scope": actor_prefix(request.user, "results.view")})
