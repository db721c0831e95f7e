from dajiuzhu.core.panels import HouseholdPanel

HOUSEHOLD_PANELS = [HouseholdPanel(template="results/_household_panel.html", perm="results.view", order=40)]
