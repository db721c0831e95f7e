"""Pages of the portal (掌上办), phone first: thin interfaces over ``services`` and ``selectors``.

Resident pages need a resident's session (signed in by code); another household's anything is a 404,
and the attempt is audited. Village and township pages need the worker's own login and permission.
"""

from __future__ import annotations

import base64
import binascii
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from dajiuzhu.core import crypto
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.net import client_address
from dajiuzhu.core.scoping import get_scoped

from . import estimate as est
from . import selectors, services, words
from .forms import (
    AppealForm,
    ChangeForm,
    CodeForm,
    EstimateForm,
    FactsForm,
    ObjectionForm,
    PhotoForm,
    ProxyForm,
    RequestForm,
    ReturnForm,
    SignInForm,
)
from .models import Document, ProxyApplication
from .policies import can_read_documents, is_resident, is_village_worker
from .uploads import image_read

SESSION_SIGN_IN = "portal_sign_in"
SESSION_DRAFT = "portal_draft"


def _address(request) -> str:
    return client_address(request)


def resident_only(view):
    """A resident's page: others are sent to sign in (a worker signed in is refused)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('portal:sign_in')}?next={request.path}")
        if not is_resident(request.user):
            raise Http404("No household matches the given query.")
        try:
            return view(request, *args, **kwargs)
        except Http404:
            services.audit_refusal(actor=request.user, action="portal.not_found",
                                   detail={"view": view.__name__, "args": {k: str(v) for k, v in kwargs.items()}})
            raise

    return wrapper


def _read_upload(upload) -> bytes:
    """At most the upload limit plus one byte is read: a 40 MB photo is refused without reading it all."""
    if upload is None:
        return b""
    return upload.read(settings.PORTAL_UPLOAD_MAX_BYTES + 1)


# --------------------------------------------------------------------------- installable app


@cache_control(max_age=3600)
def manifest(request):
    import json

    data = {
        "name": _("Dajiuzhu on the phone (掌上办)"), "short_name": _("掌上办"), "start_url": reverse("portal:home"),
        "scope": reverse("portal:home"), "display": "standalone", "background_color": "#ffffff",
        "theme_color": "#b42318", "lang": "zh-CN",
        "icons": [{"src": static("portal/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                  {"src": static("portal/icons/icon-512.png"), "sizes": "512x512", "type": "image/png",
                   "purpose": "any maskable"}],
    }
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json")


def service_worker(request):
    """The service worker, served under /m/ so that it may control the portal's pages."""
    from django.contrib.staticfiles import finders

    path = finders.find("portal/sw.js")
    body = open(path, encoding="utf-8").read().replace("__OFFLINE_URL__", reverse("portal:offline")).replace(
        "__CSS_URL__", static("portal/portal.css"))
    response = HttpResponse(body, content_type="text/javascript")
    response["Service-Worker-Allowed"] = reverse("portal:home")
    response["Cache-Control"] = "no-cache"
    return response


@cache_control(max_age=86400)
def offline(request):
    return render(request, "portal/offline.html")


# --------------------------------------------------------------------------- home, sign in


def home(request):
    if not is_resident(request.user):
        worker = request.user.is_authenticated and is_village_worker(request.user)
        township = request.user.is_authenticated and request.user.has_perm_code("cases.handle")
        return render(request, "portal/landing.html", {"worker": worker, "township": township})
    person = selectors.resident_person(actor=request.user)
    cases = list(selectors.resident_cases(actor=request.user)[:10])
    for case in cases:
        case.asked = [ci for ci in case.items.all() if ci.requested]
    return render(request, "portal/home.html", {
        "person": person, "household": person.household, "cases": cases,
        "unread": selectors.unread_count(actor=request.user),
    })


def sign_in(request):
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row = services.sign_in_start(id_number=form.cleaned_data["id_number"], phone=form.cleaned_data["phone"],
                                         address=_address(request))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            # The ID and phone numbers wait for the code encrypted (never in clear in the session store).
            request.session[SESSION_SIGN_IN] = {"code_id": row.pk, "id_number": crypto.encrypt(form.cleaned_data["id_number"]),
                                                "phone": crypto.encrypt(form.cleaned_data["phone"]),
                                                "next": request.GET.get("next", "")}
            return redirect("portal:sign_in_code")
    return render(request, "portal/sign_in.html", {"form": form})


def sign_in_code(request):
    pending = request.session.get(SESSION_SIGN_IN)
    if not pending:
        return redirect("portal:sign_in")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.sign_in_finish(code_id=pending["code_id"], id_number=crypto.decrypt(pending["id_number"]),
                                           phone=crypto.decrypt(pending["phone"]), code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(SESSION_SIGN_IN, None)
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            target = pending.get("next") or ""
            return redirect(target if target.startswith("/m/") else "portal:home")
    from dajiuzhu.core.ids import mask_phone

    return render(request, "portal/sign_in_code.html",
                  {"form": form, "phone": mask_phone(crypto.decrypt(pending["phone"]))})


@require_POST
def sign_out(request):
    logout(request)
    return redirect("portal:home")


# --------------------------------------------------------------------------- 政策找人


def estimate(request):
    """The questionnaire; the answer is computed and shown, nothing stored (signed in or not)."""
    initial = {}
    if is_resident(request.user) and request.method != "POST":
        initial = _initial_answers(request.user)
    form = EstimateForm(request.POST or None, initial=initial or None)
    findings = None
    if request.method == "POST" and form.is_valid():
        answers = form.answers()
        region = (selectors.resident_household(actor=request.user).region_code if is_resident(request.user)
                  else est.region_for(urban=answers.urban))
        if is_resident(request.user) and answers.urban != est.area_is_urban(region):
            region = est.region_for(urban=answers.urban, county_code=region)
        findings = est.estimate(facts=est.questionnaire_facts(answers, on=timezone.localdate()), region_code=region,
                                emergency=answers.emergency)
        for f in findings:
            f.amount_text = words.yuan(f.amount) if f.amount is not None else ""
    return render(request, "portal/estimate.html", {"form": form, "findings": findings,
                                                    "signed_in": is_resident(request.user)})


def _initial_answers(user) -> dict:
    """The questionnaire pre-filled from the registry's facts of the resident's household."""
    from dajiuzhu.programs.facts import facts_for

    person = selectors.resident_person(actor=user)
    try:
        facts = facts_for(household_id=person.household_id, on=timezone.localdate(), applicant=person)
    except LookupError:
        return {}
    return {
        "urban": "1" if facts.get("is_urban") else "0", "members": facts["household_size"] or 1,
        "my_age": facts["applicant_age"], "over_60": facts["members_over_60"], "under_16": facts["members_under_16"],
        "students": facts["students"], "able_to_work": facts["labour_members"],
        "unemployed": facts["unemployed_able_members"], "disabled": facts["disabled_members"],
        "severely_disabled": facts["severely_disabled_members"], "seriously_ill": facts["seriously_ill_members"],
        "chronic_ill": facts["chronic_ill_members"], "monthly_wages": facts["monthly_income"],
        "savings": facts["financial_assets"], "vehicles": facts["vehicles_non_disability"],
        "extra_houses": facts["extra_houses"], "medical_expense": facts["annual_medical_expense"],
        "education_expense": facts["annual_education_expense"],
        "my_disability_grade": str(facts["applicant_disability_grade"] or 0),
        "my_seriously_ill": facts["applicant_seriously_ill"],
    }


# --------------------------------------------------------------------------- applying


def _online_item(code: str):
    from dajiuzhu.programs.models import AssistanceItem

    return AssistanceItem.objects.filter(code=code, active=True, online_application=True).first()


@resident_only
def apply(request, code: str):
    from dajiuzhu.registry.selectors import household_facts_on

    item = _online_item(code)
    household = selectors.resident_household(actor=request.user)
    if item is None:
        services.audit_refusal(actor=request.user, action="portal.apply.refused", region_code=household.region_code,
                               detail={"item": code[:60], "reason": "not_online"})
        return render(request, "portal/not_online.html", status=404)
    latest = household_facts_on(household=household, on=timezone.localdate())
    form = FactsForm(request.POST or None, initial=FactsForm.initial_from(latest))
    photos = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and photos.is_valid():
        document_ids = []
        upload = request.FILES.get("photo")
        try:
            if upload is not None:
                document = services.document_add(actor=request.user, household=household, data=_read_upload(upload),
                                                  label=(item.documents or [_("document")])[0])
                document_ids.append(document.pk)
        except DomainError as exc:
            photos.add_error("photo", exc.message)
        else:
            request.session[SESSION_DRAFT] = {"item": item.code, "facts": form.raw_facts(), "documents": document_ids}
            return redirect("portal:apply_sign", code=item.code)
    return render(request, "portal/apply.html", {"item": item, "form": form, "photos": photos,
                                                 "from_registry": latest is not None})


@resident_only
def apply_sign(request, code: str):
    from . import texts

    draft = request.session.get(SESSION_DRAFT)
    if not draft or draft.get("item") != code:
        return redirect("portal:apply", code=code)
    item = _online_item(code)
    if item is None:
        raise Http404("No item matches the given query.")
    form = CodeForm(request.POST or None if request.POST.get("action") == "sign" else None)
    sent = bool(draft.get("code_id"))
    if request.method == "POST" and request.POST.get("action") == "send":
        try:
            row = services.sign_code_send(actor=request.user, address=_address(request))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            draft["code_id"] = row.pk
            request.session[SESSION_DRAFT] = draft
            sent = True
    elif request.method == "POST" and form.is_valid():
        try:
            case = services.online_apply(actor=request.user, item_code=code, facts=draft["facts"],
                                         code_id=draft.get("code_id"), code=form.cleaned_data["code"],
                                         document_ids=draft.get("documents", []))
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(SESSION_DRAFT, None)
            return redirect("portal:case", pk=case.pk)
    return render(request, "portal/apply_sign.html", {
        "item": item, "form": form, "sent": sent, "texts": texts,
        "phone": selectors.resident_person(actor=request.user).phone_masked})


# --------------------------------------------------------------------------- following


@resident_only
def case_detail(request, pk: int):
    from dajiuzhu.cases.models import CaseItem, ItemStatus
    from dajiuzhu.cases.selectors import case_timeline

    case = selectors.resident_case(actor=request.user, pk=pk)
    items = list(CaseItem.objects.filter(case=case, requested=True).select_related("item")
                 .prefetch_related(Prefetch("appeals")))
    for ci in items:
        ci.sentence = words.decision_sentence(ci)
        ci.plain_reasons = words.item_reasons(ci)
        ci.appeal_deadline = services.appeal_deadline(ci) if ci.status in (ItemStatus.REFUSED, ItemStatus.REVOKED) else None
        ci.may_appeal = bool(ci.appeal_deadline and ci.appeal_deadline >= timezone.localdate()
                             and not any(a.status == "open" for a in ci.appeals.all()))
        ci.deadline_text = words.day(ci.appeal_deadline) if ci.appeal_deadline else ""
        ci.amount_text = words.yuan(ci.amount) if ci.amount is not None else ""
    notices = list(case.notices.order_by("-starts_on"))
    events = case_timeline(case=case).select_related("case_item__item")
    payments = [p for p in selectors.payments_of(household=case.household)
                if p.case_id_ref in (None, case.pk)]
    for p in payments:
        p.amount_text, p.month_text = words.yuan(p.amount), words.month(p.batch.month)
    requests = list(selectors.open_requests(case=case))
    for r in requests:
        r.due_text = words.day(r.due)
    return render(request, "portal/case.html", {
        "case": case, "items": items, "timeline": words.timeline(case, events, notices), "payments": payments,
        "requests": requests, "documents": selectors.case_documents(case=case), "appeal_form": AppealForm(),
        "photo_form": PhotoForm(), "received": words.day(case.created_at),
    })


@resident_only
@require_POST
def appeal(request, pk: int, item_pk: int):
    from dajiuzhu.cases.models import CaseItem

    case = selectors.resident_case(actor=request.user, pk=pk)
    ci = CaseItem.objects.filter(case=case, pk=item_pk).select_related("item").first()
    if ci is None:
        raise Http404("No case item matches the given query.")
    form = AppealForm(request.POST)
    if form.is_valid():
        try:
            services.appeal_online(actor=request.user, case_item=ci, grounds=form.cleaned_data["grounds"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Your appeal has been received. A different approver will decide it."))
    else:
        messages.error(request, _("Please write why you think the decision is wrong."))
    return redirect("portal:case", pk=case.pk)


@resident_only
@require_POST
def request_upload(request, pk: int):
    selectors.resident_request(actor=request.user, pk=pk)  # another household's request is a 404, before the form
    form = PhotoForm(request.POST, request.FILES)
    upload = request.FILES.get("photo")
    target = redirect("portal:home")
    if form.is_valid() and upload is not None:
        try:
            document = services.request_fulfil(actor=request.user, request_id=pk, data=_read_upload(upload))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you, the document has been sent."))
            target = redirect("portal:case", pk=document.case_id)
    else:
        messages.error(request, _("Please choose a photo."))
    return target


@resident_only
def document(request, pk: int):
    doc = selectors.document_for_resident(actor=request.user, pk=pk)
    return _image_response(doc)


def _image_response(doc: Document):
    response = HttpResponse(image_read(doc.stored_name), content_type=doc.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@resident_only
def notices(request):
    household = selectors.resident_household(actor=request.user)
    form = ObjectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.objection_online(actor=request.user, notice_id=int(request.POST.get("notice") or 0),
                                      text=form.cleaned_data["text"])
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
        else:
            messages.success(request, _("Your objection has been received; the township will check again."))
            return redirect("portal:notices")
    rows = list(selectors.notices_near(household=household))
    for n in rows:
        n.until = words.day(n.ends_on)
    return render(request, "portal/notices.html", {"notices": rows, "form": form})


@resident_only
def change(request):
    household = selectors.resident_household(actor=request.user)
    members = list(household.members.filter(deceased_on__isnull=True).order_by("birth_date"))
    form = ChangeForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_report(actor=request.user, kind=form.cleaned_data["kind"],
                                   person_id=form.cleaned_data["person"], happened_on=form.cleaned_data["happened_on"],
                                   note=form.cleaned_data["note"])
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Thank you. The change has been recorded."))
            return redirect("portal:home")
    return render(request, "portal/change.html", {"form": form})


@resident_only
def inbox(request):
    rows = list(selectors.inbox(actor=request.user)[:100])
    for m in rows:
        m.day = words.day(m.created_at)
    response = render(request, "portal/inbox.html", {"messages_list": rows})
    selectors.inbox(actor=request.user).filter(read_at__isnull=True).update(read_at=timezone.now())
    return response


# --------------------------------------------------------------------------- village service rooms (代办)


def _village_worker(request):
    if not is_village_worker(request.user):
        raise PermissionDenied
    return request.user


@login_required
def village(request):
    worker = _village_worker(request)
    rows = list(selectors.proxy_worklist(actor=worker)[:200])
    for p in rows:
        p.day = words.day(p.created_at)
        p.items_text = "、".join(_item_names(p.item_codes))
    return render(request, "portal/village.html", {"rows": rows})


def _item_names(codes):
    from dajiuzhu.programs.models import AssistanceItem

    names = dict(AssistanceItem.objects.filter(code__in=codes).values_list("code", "name"))
    return [names.get(c, c) for c in codes]


def _signature_png(data_url: str) -> bytes:
    if not data_url:
        return b""
    head, _sep, payload = data_url.partition(",")
    if head != "data:image/png;base64":
        raise DomainError(_("The signature could not be read; please sign again."), field="signature")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise DomainError(_("The signature could not be read; please sign again."), field="signature") from None


@login_required
def village_new(request):
    from dajiuzhu.programs.models import AssistanceItem

    worker = _village_worker(request)
    items = AssistanceItem.objects.filter(active=True, village_proxy=True).order_by("order", "code")
    form = ProxyForm(request.POST or None, request.FILES or None, items=items)
    if request.method == "POST" and form.is_valid():
        try:
            photo = request.FILES.get("photo")
            proxy = services.proxy_submit(
                actor=worker, id_number=form.cleaned_data["id_number"], item_code=form.cleaned_data["item"],
                facts=form.raw_facts(), signature_png=_signature_png(form.cleaned_data["signature"]),
                signed_form=_read_upload(request.FILES.get("signed_form")),
                photos=[(_("document"), _read_upload(photo))] if photo else [], note=form.cleaned_data["note"])
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Sent to the township window (%(n)s).") % {"n": proxy.pk})
            return redirect("portal:village")
    return render(request, "portal/village_new.html", {"form": form})


# --------------------------------------------------------------------------- township acceptance queue


def _township(request):
    user = request.user
    if not (user.has_perm_code("cases.handle") and user.role in ("township_handler", "county_admin")):
        raise PermissionDenied
    return user


@login_required
def township(request):
    actor = _township(request)
    rows = list(selectors.township_queue(actor=actor)[:200])
    for p in rows:
        p.day = words.day(p.created_at)
        p.items_text = "、".join(_item_names(p.item_codes))
    return render(request, "portal/township.html", {"rows": rows})


@login_required
def township_detail(request, pk: int):
    actor = _township(request)
    proxy = selectors.proxy_get(actor=actor, pk=pk, for_handling=True)
    form = ReturnForm(request.POST or None if request.POST.get("action") == "return" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "accept":
                case = services.proxy_accept(actor=actor, proxy=proxy)
                messages.success(request, _("Accepted: application %(number)s.") % {"number": case.number})
                return redirect("cases:detail", pk=case.pk)
            if form.is_valid():
                services.proxy_return(actor=actor, proxy=proxy, reason=form.cleaned_data["reason"])
                messages.success(request, _("Returned to the village."))
                return redirect("portal:township")
        except DomainError as exc:
            messages.error(request, exc.message)
    proxy.items_text = "、".join(_item_names(proxy.item_codes))
    return render(request, "portal/township_detail.html", {"proxy": proxy, "form": form,
                                                           "documents": proxy.documents.all()})


# --------------------------------------------------------------------------- staff: documents and requests


@login_required
def staff_document(request, pk: int):
    """A stored document for staff of the household's jurisdiction (404 elsewhere); the read is audited."""
    doc = selectors.document_for_staff(actor=request.user, pk=pk)
    with transaction.atomic():
        audit_record(actor=request.user, action="portal.document.view", obj=doc, region_code=doc.region_code)
    return _image_response(doc)


@login_required
def staff_case(request, case_id: int):
    """The online materials of a case: documents, what was asked for, and a form to ask for more."""
    from dajiuzhu.cases.selectors import case_get

    case = case_get(actor=request.user, pk=case_id)
    if not can_read_documents(request.user, case.region_code):
        raise Http404("No case matches the given query.")
    form = RequestForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.document_request_create(actor=request.user, case=case, what=form.cleaned_data["what"],
                                                 due=form.cleaned_data["due"])
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The family has been asked."))
                return redirect("portal:staff_case", case_id=case.pk)
    from .models import DocumentRequest

    return render(request, "portal/staff_case.html", {
        "case": case, "documents": selectors.staff_case_documents(actor=request.user, case_id=case.pk),
        "requests": DocumentRequest.objects.filter(case=case), "form": form,
        "proxy": ProxyApplication.objects.filter(case=case).select_related("worker").first()})



@login_required
def staff_household(request, pk: int):
    """What a family did through 掌上办 and its village service room (the registry's household page links here)."""
    from dajiuzhu.registry.models import Household

    from .models import ChangeReport

    household = get_scoped(Household.objects.all(), request.user, perm="cases.view", pk=pk)
    return render(request, "portal/staff_household.html", {
        "household": household,
        "documents": Document.objects.filter(household=household).order_by("-uploaded_at")[:50],
        "changes": ChangeReport.objects.filter(household=household).select_related("person")[:50],
        "proxies": ProxyApplication.objects.filter(household=household).select_related("worker", "case")[:50],
    })
