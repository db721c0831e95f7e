"""Menu entries of the supervision app (flat management)."""

from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.nav import NavItem

ITEMS = [
    NavItem(label=_("Supervision"), url_name="supervision:home", perm="supervision.view", order=80,
            description=_("Overdue steps, the monthly ranking, spot checks, complaints, certificates")),
    NavItem(label=_("Time limits"), url_name="supervision:steps", perm="cases.view", order=81,
            description=_("Open steps of applications with the working days left")),
    NavItem(label=_("Handler evaluation"), url_name="supervision:evaluation", perm="supervision.view", order=82,
            description=_("The month's figures and ranking per handler and township")),
    NavItem(label=_("Spot checks"), url_name="supervision:spotchecks", perm="supervision.view", order=83,
            description=_("The monthly sample of decided cases and the home-visit checks")),
    NavItem(label=_("Complaints and tips"), url_name="supervision:complaints", perm="supervision.view", order=84,
            description=_("Complaints and tips: number, handler, time limit, answer")),
    NavItem(label=_("Training and exams"), url_name="supervision:training", perm="training.take", order=85,
            description=_("Exams and the certificate to decide cases (持证上岗)")),
    NavItem(label=_("Time limits and calendar"), url_name="supervision:settings", perm="supervision.manage",
            order=86, description=_("Step time limits, holidays and make-up working days, ranking weights")),
    NavItem(label=_("Training management"), url_name="supervision:training_admin", perm="supervision.manage",
            order=87, description=_("Courses, sessions, attendance, exams and the question bank")),
]
