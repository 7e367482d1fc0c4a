import asyncio
import os
import shlex
import subprocess

from django.http import JsonResponse
from fastapi import FastAPI
from flask import Flask, abort, jsonify, request

app = Flask(__name__)
api = FastAPI()
ALLOWED_TOOLS = {"uptime", "df", "free"}


@app.route("/ping")
def ping():
    host = request.args.get("host", "localhost")
    # ruleid: command-injection-taint
    os.system("ping -c 1 " + host)
    # ok: command-injection-taint
    os.system("ping -c 1 " + shlex.quote(host))
    # ok: command-injection-taint
    subprocess.run(["ping", "-c", "1", host], check=False)
    return "sent"


@app.route("/archive", methods=["POST"])
def archive():
    folder = request.form["folder"]
    # ruleid: command-injection-taint
    out = subprocess.check_output(f"tar czf /tmp/out.tgz {folder}", shell=True)
    # ruleid: command-injection-taint
    subprocess.Popen(args="du -sh " + folder, shell=True)
    # ok: command-injection-taint
    subprocess.check_output(["tar", "czf", "/tmp/out.tgz", "--", folder])
    # ok: command-injection-taint
    subprocess.run(["ls", "-l", folder], shell=True)
    # ok: command-injection-taint
    subprocess.run("tar czf /tmp/out.tgz " + shlex.quote(folder), shell=True)
    return out


@app.route("/lookup")
def lookup():
    domain = request.args["domain"]
    # ruleid: command-injection-taint
    stream = os.popen("nslookup %s" % domain)
    # ruleid: command-injection-taint
    status, text = subprocess.getstatusoutput("whois " + domain)
    # ruleid: command-injection-taint
    subprocess.run(["/bin/sh", "-c", "dig " + domain])
    # ok: command-injection-taint
    subprocess.run(["dig", domain])
    return stream.read() + text


@app.route("/tools/<tool>")
def run_tool(tool):
    # ruleid: command-injection-taint
    subprocess.run([tool, "--version"])
    if tool not in ALLOWED_TOOLS:
        abort(404)
    # ok: command-injection-taint
    return subprocess.check_output(tool, shell=True)


@app.route("/count")
def count_lines():
    limit = int(request.args.get("n", "10"))
    # ok: command-injection-taint
    return os.popen("tail -n %d /var/log/app.log" % limit).read()


@api.post("/convert")
async def convert(fmt: str, page: int):
    # ruleid: command-injection-taint
    proc = await asyncio.create_subprocess_shell(f"convert in.pdf out.{fmt}")
    # ok: command-injection-taint
    await asyncio.create_subprocess_shell(f"convert in.pdf[{page}] out.png")
    return {"rc": await proc.wait()}


def disk_usage(request, volume):
    # ruleid: command-injection-taint
    usage = subprocess.getoutput("df -h " + volume)
    # ok: command-injection-taint
    safe = subprocess.run(["df", "-h", volume], capture_output=True, text=True).stdout
    return JsonResponse({"usage": usage, "safe": safe})


@app.route("/constant")
def constant_command():
    param = request.args.get("x", "")
    bar = "uptime" if (7 * 42) - 86 > 200 else param
    # ok: command-injection-taint
    os.system(bar)
    # ok: command-injection-taint
    os.system("uptime")
    return jsonify(ok=True)


def maintenance(cmd):
    # ok: command-injection-taint
    os.system(cmd)
