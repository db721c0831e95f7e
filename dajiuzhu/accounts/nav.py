"""Menu entries for every user's own tools: their jobs, and the supervisor's audit log."""

from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.nav import NavItem

ITEMS = [
    NavItem(label=_("Audit log"), url_name="audit_list", perm="audit.view", order=90,
            description=_("Browse and verify the hash-chained log of every change")),
    NavItem(label=_("My jobs"), url_name="job_list", perm="jobs.view", order=95,
            description=_("Progress and results of your imports and other long work")),
]
