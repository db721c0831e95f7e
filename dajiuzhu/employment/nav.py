from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.nav import NavItem

ITEMS = [
    NavItem(label=_("Jobs and training"), url_name="employment:overview", perm="employment.view", order=86,
            description=_("公益性岗位 and training: people in posts, trained and employed"), section="dashboards"),
    NavItem(label=_("Public-welfare posts"), url_name="employment:jobs", perm="employment.view", order=87,
            description=_("Posts, candidates from the roster, placements, wages")),
    NavItem(label=_("Training courses"), url_name="employment:courses", perm="employment.view", order=88,
            description=_("Enrolment, attendance, completion, six-month follow-up")),
]
