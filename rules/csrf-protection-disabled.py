from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from flask import Flask
from flask_wtf.csrf import CSRFProtect

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


csrf = CSRFProtect(app)


# ruleid: csrf-protection-disabled
@csrf.exempt
@app.route("/webhook", methods=["POST"])
def webhook():
    return "ok"


# ok: csrf-protection-disabled
@app.route("/form", methods=["POST"])
def form_post():
    return "ok"
