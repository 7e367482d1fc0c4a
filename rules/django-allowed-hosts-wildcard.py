import os

from django.conf import settings

DEBUG = False
# ruleid: django-allowed-hosts-wildcard
ALLOWED_HOSTS = ["*"]
# ok: django-allowed-hosts-wildcard
ALLOWED_HOSTS = ["shop.example.com", ".shop.example.com"]
# ruleid: django-allowed-hosts-wildcard
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "*").split(",")
# ok: django-allowed-hosts-wildcard
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")
# ok: django-allowed-hosts-wildcard
CORS_ALLOWED_ORIGINS = ["https://shop.example.com"]


def standalone():
    # ruleid: django-allowed-hosts-wildcard
    settings.configure(DEBUG=False, ALLOWED_HOSTS=["localhost", "*"])
    # ok: django-allowed-hosts-wildcard
    settings.configure(DEBUG=False, ALLOWED_HOSTS=["localhost"])
