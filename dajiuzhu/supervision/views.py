from django.http import HttpResponse


def home(request):
    return HttpResponse("")


def public_complaint(request, village_code):
    return HttpResponse("")
