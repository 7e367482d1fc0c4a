from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from flask import Flask

app = Flask(__name__)
# ruleid: csrf-protection-disabled
app.config["WTF_CSRF_ENABLED"] = False
# ok: csrf-protection-disabled
app.config["WTF_CSRF_ENABLED"] = True


# ruleid: csrf-protection-disabled
@csrf_exempt
def transfer(request):
    return JsonResponse({"ok": True})


# ok: csrf-protection-disabled
@csrf_protect
def transfer_safe(request):
    return JsonResponse({"ok": True})
