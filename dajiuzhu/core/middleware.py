from __future__ import annotations

from . import context


class RequestContextMiddleware:
    """Marks changes made during a request as coming from the web pages or the API."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = "api" if request.path.startswith("/api/") else "web"
        with context.source(name):
            return self.get_response(request)


class LanguageMiddleware:
    """Simplified Chinese for every page unless the user chose another language.

    The choice is the language cookie set by the switch in the page header
    (``django.views.i18n.set_language``); the browser's Accept-Language is ignored for pages,
    so a county office whose browsers happen to be set to English still gets Chinese.
    API clients may still ask for a language with Accept-Language.
    """

    def __init__(self, get_response):
        from django.middleware.locale import LocaleMiddleware

        self.get_response = get_response
        self._django = LocaleMiddleware(get_response)

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation

        if request.path.startswith("/api/"):
            return self._django(request)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


# Every response: scripts, styles, images, frames and form targets only from the platform itself; no inline
# script, handler or style (templates use static/js and static/css; json_script data blocks are not run).
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])
# Browser features the platform never uses.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
    "microphone", "midi", "payment", "usb",
))


class SecurityHeadersMiddleware:
    """Content-Security-Policy, Permissions-Policy and the usual hardening headers on every response (pages,
    API, static files, errors). Sits right after Django's SecurityMiddleware (which sets
    X-Content-Type-Options, Referrer-Policy and Cross-Origin-Opener-Policy from the settings); sets those too
    when missing, so no response goes without them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        return response
