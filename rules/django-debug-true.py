import os

from django.conf import settings

BASE_DIR = os.path.dirname(__file__)
# ruleid: django-debug-true
DEBUG = True
ALLOWED_HOSTS = ["example.com"]
INSTALLED_APPS = ["django.contrib.admin", "shop"]
ROOT_URLCONF = "shop.urls"

if os.environ.get("CI"):
    # ok: django-debug-true
    DEBUG = False
# ok: django-debug-true
TEMPLATE_DEBUG = os.environ.get("DJANGO_DEBUG") == "1"


def standalone():
    # ruleid: django-debug-true
    settings.configure(DEBUG=True, INSTALLED_APPS=[])
    # ok: django-debug-true
    settings.configure(DEBUG=False, INSTALLED_APPS=[])
