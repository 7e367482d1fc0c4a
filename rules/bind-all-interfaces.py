import socket

import uvicorn
from flask import Flask

app = Flask(__name__)

if __name__ == "__main__":
    # ruleid: bind-all-interfaces
    uvicorn.run("main:app", host="0.0.0.0", port=8000)
    # ok: bind-all-interfaces
    uvicorn.run("main:app", host="127.0.0.1", port=8000)
    # ruleid: bind-all-interfaces
    app.run(host="0.0.0.0", port=5000)
    sock = socket.socket()
    # ok: bind-all-interfaces
    sock.bind(("127.0.0.1", 9000))
    # ruleid: bind-all-interfaces
    sock.bind(("", 9001))
