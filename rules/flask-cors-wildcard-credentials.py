from flask import Flask
from flask_cors import CORS, cross_origin

app = Flask(__name__)
# ruleid: flask-cors-wildcard-credentials
CORS(app, supports_credentials=True)
# ruleid: flask-cors-wildcard-credentials
CORS(app, origins="*", supports_credentials=True)
# ok: flask-cors-wildcard-credentials
CORS(app, origins=["https://app.example.com"], supports_credentials=True)
# ok: flask-cors-wildcard-credentials
CORS(app, origins="*")


@app.route("/api/me")
# ruleid: flask-cors-wildcard-credentials
@cross_origin(supports_credentials=True)
def me():
    return {}


api = Flask("api")
# ruleid: flask-cors-wildcard-credentials
CORS(api, resources={r"/api/*": {"origins": "*"}}, supports_credentials=True)
# ok: flask-cors-wildcard-credentials
CORS(api, resources={r"/api/*": {"origins": ["https://app.example.com"]}}, supports_credentials=True)
