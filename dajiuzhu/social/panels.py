from dajiuzhu.core.panels import HouseholdPanel

HOUSEHOLD_PANELS = [HouseholdPanel(template="social/_household_panel.html", perm="social.view", order=45)]
