from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.nav import NavItem

ITEMS = [
    NavItem(label=_("Assistance records"), url_name="results:records", perm="results.view", order=70,
            description=_("Every assistance given (救助成果库), with XLSX export")),
    NavItem(label=_("Deliver records"), url_name="results:deliveries", perm="results.deliver", order=71,
            description=_("Upload the assistance your department or organisation gave")),
    NavItem(label=_("Payments"), url_name="results:batches", perm="results.view", order=72,
            description=_("Monthly payment batches: generate, check, approve, bank file, reconcile")),
    NavItem(label=_("Monthly report"), url_name="results:report", perm="results.view", order=73,
            description=_("民政统计报表 as XLSX")),
    NavItem(label=_("Outcomes"), url_name="results:outcomes", perm="results.view", order=74,
            description=_("How assisted households developed afterwards")),
]
