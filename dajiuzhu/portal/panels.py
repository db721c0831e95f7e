from dajiuzhu.core.panels import HouseholdPanel

HOUSEHOLD_PANELS = [HouseholdPanel(template="portal/_household_panel.html", perm="cases.view", order=45)]
