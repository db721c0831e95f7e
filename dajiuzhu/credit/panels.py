from dajiuzhu.core.panels import HouseholdPanel

# The dishonesty flag (联合惩戒) or the simplified-review badge, on every household page.
HOUSEHOLD_PANELS = [HouseholdPanel(template="credit/_household_panel.html", perm="registry.view", position="top", order=10)]
