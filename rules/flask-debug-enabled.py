import os

from flask import Flask

app = Flask(__name__)
# ruleid: flask-debug-enabled
app.debug = True
# ruleid: flask-debug-enabled
app.config["DEBUG"] = True
# ok: flask-debug-enabled
app.config["DEBUG"] = os.environ.get("FLASK_DEBUG") == "1"

if __name__ == "__main__":
    # ruleid: flask-debug-enabled
    app.run(host="127.0.0.1", port=5000, debug=True)
    # ok: flask-debug-enabled
    app.run(host="127.0.0.1", port=5000, debug=False)
