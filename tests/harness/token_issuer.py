#!/usr/bin/env python3
"""A token server for docker-registry's `auth: token` in tests (127.0.0.1 only).

usage: token_issuer.py DIR USERNAME PASSWORD

Makes an RSA key and a self-signed certificate in DIR (DIR/key.pem, DIR/cert.pem) with
the openssl CLI, listens on a free port of 127.0.0.1 and writes it to DIR/port once it
accepts. GET /token?service=S&scope=repository:NAME:pull,push answers
{"token": <JWT>, "expires_in": 300} for HTTP Basic USERNAME:PASSWORD (401 for any other
credentials; a token granting nothing without credentials). The JWT is RS256 with the
certificate in its x5c header; it grants every repository action the scope asks for.
"""

import base64
import json
import os
import subprocess
import sys
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ISSUER = "berth-test-issuer"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_key(directory):
    key = os.path.join(directory, "key.pem")
    cert = os.path.join(directory, "cert.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
         "-out", cert, "-days", "2", "-subj", "/CN=" + ISSUER],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                         check=True, stdout=subprocess.PIPE).stdout
    return key, base64.b64encode(der).decode()


def sign(key, payload):
    return subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=payload,
                          check=True, stdout=subprocess.PIPE).stdout


def access_for(scopes):
    access = []
    for scope in scopes:
        for one in scope.split(" "):
            parts = one.split(":")
            if len(parts) < 3:
                continue
            kind, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
            if kind == "repository":
                actions = [a for a in actions if a in ("pull", "push")]
            access.append({"type": kind, "name": name, "actions": actions})
    return access


class Handler(BaseHTTPRequestHandler):
    server_version = "berth-token-issuer"

    def log_message(self, fmt, *args):
        sys.stderr.write("token_issuer: " + (fmt % args) + "\n")

    def answer(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path != "/token":
            return self.answer(404, {"details": "not found"})
        query = urllib.parse.parse_qs(url.query)
        subject = ""
        header = self.headers.get("Authorization", "")
        if header:
            expected = "Basic " + base64.b64encode(
                ("%s:%s" % (self.server.username, self.server.password)).encode()).decode()
            if header != expected:
                return self.answer(401, {"details": "incorrect username or password"})
            subject = self.server.username
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": subject,
            "aud": query.get("service", [""])[0],
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access_for(query.get("scope", [])) if subject else [],
        }
        head = {"typ": "JWT", "alg": "RS256", "x5c": [self.server.cert_der]}
        signing_input = (b64url(json.dumps(head).encode()) + "." +
                         b64url(json.dumps(claims).encode())).encode()
        token = signing_input.decode() + "." + b64url(sign(self.server.key, signing_input))
        self.answer(200, {"token": token, "access_token": token, "expires_in": 300})


def main():
    directory, username, password = sys.argv[1:4]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.key, server.cert_der = make_key(directory)
    server.username, server.password = username, password
    tmp = os.path.join(directory, "port.tmp")
    with open(tmp, "w") as out:
        out.write(str(server.server_address[1]))
    os.rename(tmp, os.path.join(directory, "port"))
    server.serve_forever()


if __name__ == "__main__":
    main()
