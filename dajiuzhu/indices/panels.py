from dajiuzhu.core.panels import HouseholdPanel

HOUSEHOLD_PANELS = [HouseholdPanel(template="indices/_household_panel.html", perm="indices.view", order=30)]
