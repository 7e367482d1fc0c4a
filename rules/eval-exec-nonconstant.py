import ast
from flask import request


def calculate():
    expression = request.args.get("expr", "0")
    # ruleid: eval-exec-nonconstant
    result = eval(expression)
    # ok: eval-exec-nonconstant
    literal = ast.literal_eval(expression)
    return {"result": result, "literal": literal}


def run_plugin(source: str, namespace: dict):
    # ruleid: eval-exec-nonconstant
    exec(source, namespace)


def constant_code():
    # ok: eval-exec-nonconstant
    return eval("1 + 2")
