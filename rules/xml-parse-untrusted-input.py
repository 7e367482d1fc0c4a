import xml.etree.ElementTree as ET
from xml.dom import minidom

import defusedxml.ElementTree as DET
from fastapi import FastAPI, Request
from flask import Flask, request
from lxml import etree

app = Flask(__name__)
api = FastAPI()
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@app.route("/import", methods=["POST"])
def import_feed():
    # ruleid: xml-parse-untrusted-input
    root = ET.fromstring(request.data)
    # ok: xml-parse-untrusted-input
    root2 = DET.fromstring(request.data)
    return {"items": len(root) + len(root2)}


@app.route("/legacy", methods=["POST"])
def legacy():
    body = request.get_data(as_text=True)
    # ruleid: xml-parse-untrusted-input
    doc = minidom.parseString(body)
    return doc.documentElement.tagName


@api.post("/soap")
async def soap(request: Request):
    payload = await request.body()
    # ruleid: xml-parse-untrusted-input
    tree = etree.fromstring(payload)
    # ok: xml-parse-untrusted-input
    tree2 = etree.fromstring(payload, parser=SAFE_PARSER)
    return {"tag": tree.tag, "tag2": tree2.tag}
