import xml.sax
from xml.dom import minidom, pulldom
from xml.sax.handler import ContentHandler, feature_external_ges

import defusedxml.ElementTree as DET
from fastapi import FastAPI, Request
from flask import Flask, jsonify, request
from lxml import etree

app = Flask(__name__)
api = FastAPI()
SHARED_PARSER = etree.XMLParser(resolve_entities=True)


@app.route("/import/xml", methods=["POST"])
def import_xml():
    parser = etree.XMLParser(resolve_entities=True)
    # ruleid: xxe-taint
    doc = etree.fromstring(request.data, parser)
    safe_parser = etree.XMLParser(resolve_entities=False, no_network=True)
    # ok: xxe-taint
    doc2 = etree.fromstring(request.data, safe_parser)
    # ok: xxe-taint
    doc3 = etree.fromstring(request.data)
    return jsonify(titles=[el.text for el in doc.iter("title")], n=len(doc2) + len(doc3))


@app.route("/import/dtd", methods=["POST"])
def import_with_dtd():
    # ruleid: xxe-taint
    tree = etree.parse(request.files["doc"], parser=etree.XMLParser(load_dtd=True, no_network=False))
    return jsonify(root=tree.getroot().tag)


@app.route("/import/shared", methods=["POST"])
def import_shared():
    # ruleid: xxe-taint
    root = etree.XML(request.get_data(), SHARED_PARSER)
    # ok: xxe-taint
    local = etree.parse("/etc/app/defaults.xml", SHARED_PARSER)
    return jsonify(root=root.tag, local=local.getroot().tag)


@app.route("/import/sax", methods=["POST"])
def import_sax():
    parser = xml.sax.make_parser()
    parser.setFeature(feature_external_ges, True)
    parser.setContentHandler(ContentHandler())
    # ruleid: xxe-taint
    parser.parse(request.files["feed"])
    plain = xml.sax.make_parser()
    plain.setContentHandler(ContentHandler())
    # ok: xxe-taint
    plain.parse(request.files["feed"])
    return "ok"


@app.route("/import/pulldom", methods=["POST"])
def import_pulldom():
    parser = xml.sax.make_parser()
    parser.setFeature(feature_external_ges, True)
    # ruleid: xxe-taint
    events = pulldom.parseString(request.data.decode(), parser=parser)
    # ok: xxe-taint
    safe_events = pulldom.parseString(request.data.decode())
    return jsonify(n=sum(1 for _ in events) + sum(1 for _ in safe_events))


@app.route("/import/defused", methods=["POST"])
def import_defused():
    # ok: xxe-taint
    root = DET.fromstring(request.data)
    # ok: xxe-taint
    dom = minidom.parseString(request.data)
    return jsonify(root=root.tag, dom=dom.documentElement.tagName)


@api.post("/opml")
async def opml(request: Request):
    parser = etree.XMLParser(no_network=False)
    # ruleid: xxe-taint
    doc = etree.fromstring(await request.body(), parser)
    return {"outlines": len(doc.findall(".//outline"))}


def load_config(path):
    parser = etree.XMLParser(resolve_entities=True)
    # ok: xxe-taint
    return etree.parse(path, parser)
