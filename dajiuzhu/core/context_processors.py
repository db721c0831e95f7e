from django.conf import settings

from .nav import nav_for


def platform(request):
    user = getattr(request, "user", None)
    return {"PLATFORM_NAME": settings.PLATFORM_NAME, "nav_items": nav_for(user) if user is not None else []}
