from dajiuzhu.core.panels import HouseholdPanel

# On the case page (which includes the household's "top" panels with ``case`` in its context) the open
# steps of the case with their working days left; on the household page (no ``case``) nothing.
HOUSEHOLD_PANELS = [HouseholdPanel(template="supervision/_case_panel.html", perm="cases.view", position="top",
                                   order=90)]
