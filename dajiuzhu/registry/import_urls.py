"""URLs of the registry import pages (upload, progress, error report), under /registry/import/."""

urlpatterns: list = []
