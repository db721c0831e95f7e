from django.conf import settings

from .nav import nav_for, nav_groups


def platform(request):
    user = getattr(request, "user", None)
    items = nav_for(user) if user is not None else []
    return {"PLATFORM_NAME": settings.PLATFORM_NAME, "nav_items": items, "nav_groups": nav_groups(items)}
