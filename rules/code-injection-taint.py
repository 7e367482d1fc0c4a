import ast
import json

from django.http import JsonResponse
from fastapi import FastAPI, Request
from flask import Flask, jsonify, request

app = Flask(__name__)
api = FastAPI()
OPERATIONS = {"sum": sum, "max": max, "min": min}


@app.route("/calc")
def calc():
    expr = request.args.get("expr", "1+1")
    # ruleid: code-injection-taint
    result = eval(expr)
    # ok: code-injection-taint
    literal = ast.literal_eval(expr)
    # ok: code-injection-taint
    numbers = eval("[1, 2, 3]")
    return jsonify(result=result, literal=literal, numbers=numbers)


@app.route("/macro", methods=["POST"])
def run_macro():
    scope = {}
    source = request.form["code"]
    # ruleid: code-injection-taint
    code = compile(source, "<macro>", "exec")
    exec(code, scope)
    # ruleid: code-injection-taint
    exec("result = " + request.form["expression"], scope)
    return jsonify(result=scope.get("result"))


@app.route("/apply")
def apply_op():
    name = request.args.get("op", "sum")
    values = json.loads(request.args.get("values", "[]"))
    # ok: code-injection-taint
    return jsonify(result=OPERATIONS[name](values))


@app.route("/number")
def number():
    # ok: code-injection-taint
    return jsonify(value=eval(str(int(request.args["n"])) + " * 2"))


@app.route("/choose")
def choose():
    param = request.headers.get("X-Expr", "")
    bar = param if 3 * 3 < 5 else "2 + 2"
    # ok: code-injection-taint
    return jsonify(value=eval(bar))


@api.post("/rules/evaluate")
async def evaluate_rule(request: Request):
    body = await request.json()
    # ruleid: code-injection-taint
    return {"matched": eval(body["condition"], {"__builtins__": {}})}


@api.get("/rules/{rule_id}")
def get_rule(rule_id: int):
    # ok: code-injection-taint
    return {"value": eval(f"{rule_id} + 1")}


def template_view(request, expr):
    # ruleid: code-injection-taint
    return JsonResponse({"value": eval(expr)})


def load_plugin(path):
    with open(path) as fh:
        # ok: code-injection-taint
        exec(fh.read(), {})
