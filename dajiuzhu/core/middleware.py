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
