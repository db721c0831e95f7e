from dajiuzhu.core.panels import HouseholdPanel

HOUSEHOLD_PANELS = [HouseholdPanel(template="employment/_household_panel.html", perm="employment.view", order=46)]
