"""Issue 14, transport and information, each attack performed against `vpcpeer serve`:
TLS 1.0/1.1 handshakes are refused, 1.2 works and 1.3 is chosen; SIGHUP gives new connections
the new certificate (a bad one keeps the old); a registry error reaches the caller as a
generic message with the request id, never the database's address or password, and the log
has no password either."""

import os
import re
import shutil
import signal
import subprocess
import time
import unittest

from broker_harness import E2ECase, PgCluster


def make_cert(workdir, name, serial):
    cert, key = os.path.join(workdir, name + ".crt"), os.path.join(workdir, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-set_serial", serial,
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def s_client(port, *args):
    """openssl s_client to the broker: (exit status, output)."""
    p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                        "-servername", "127.0.0.1", *args], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def served_serial(port):
    rc, out = s_client(port)
    p = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=out,
                       capture_output=True, text=True, timeout=30)
    return p.stdout.strip()


class Transport(E2ECase):
    @unittest.skipUnless(shutil.which("openssl"), "no openssl")
    def test_tls_versions_and_sighup_reload(self):
        cert, key = os.path.join(self.workdir, "tls.crt"), os.path.join(self.workdir, "tls.key")
        a_cert, a_key = make_cert(self.workdir, "a", "0xA1A1")
        b_cert, b_key = make_cert(self.workdir, "b", "0xB2B2")
        shutil.copy(a_cert, cert)
        shutil.copy(a_key, key)
        b = self.start_broker(["--tls-cert", cert, "--tls-key", key], ca_file=a_cert)
        port = b.api.port
        # The client offers only the old version (SECLEVEL=0: OpenSSL 3 would not otherwise).
        for old in ("-tls1", "-tls1_1"):
            rc, out = s_client(port, old, "-cipher", "DEFAULT@SECLEVEL=0")
            self.assertNotEqual(rc, 0, f"{old} was accepted:\n{out[-2000:]}")
            self.assertIn("Cipher is (NONE)", out, f"{old} negotiated a cipher")
        rc, out = s_client(port, "-tls1_2")
        self.assertEqual(rc, 0, out[-2000:])
        self.assertRegex(out, r"Protocol\s*: TLSv1\.2|TLSv1\.2,")
        rc, out = s_client(port)
        self.assertEqual(rc, 0, out[-2000:])
        self.assertRegex(out, r"TLSv1\.3")
        self.assertEqual(served_serial(port), "serial=A1A1")

        # SIGHUP with the new files: new connections see the new certificate
        shutil.copy(b_cert, cert)
        shutil.copy(b_key, key)
        b.proc.send_signal(signal.SIGHUP)
        self.wait_for(b, "reloaded the TLS certificate")
        self.assertEqual(served_serial(port), "serial=B2B2")
        # a key of another certificate: refused, the old one stays, the broker keeps serving
        shutil.copy(a_key, key)
        b.proc.send_signal(signal.SIGHUP)
        self.wait_for(b, "kept the old TLS certificate")
        self.assertEqual(served_serial(port), "serial=B2B2")
        self.assertIsNone(b.proc.poll())

    def wait_for(self, b, text, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in b.lines):
                return
            time.sleep(0.05)
        self.fail(f"no log line with {text!r}:\n{''.join(b.lines[-20:])}")

    @unittest.skipUnless(PgCluster.available(), "no PostgreSQL binaries")
    def test_registry_errors_hidden(self):
        pg = PgCluster(self.workdir).start()
        self.addCleanup(pg.stop)
        # The password in both places: the userinfo and a password= parameter (trust auth:
        # the cluster ignores it).
        url = pg.url.replace("postgresql:///", "postgresql://postgres:UserSecret1@/", 1)
        url += "&password=QuerySecret2"
        sock_dir = re.search(r"host=([^&]+)", url).group(1)
        b = self.start_broker(db=url)
        self.assertStatus(b.api.register("client-b", "reg-1"), 201)
        pg.stop()
        for label, r in (("GET", b.api.get("client-b", 1)),
                         ("register", b.api.register("client-b", "reg-2")),
                         ("list", b.api.list("client-b"))):
            self.assertEqual(r.status, 503, f"{label}: {r}")
            body = r.body.decode()
            for secret in ("UserSecret1", "QuerySecret2", sock_dir, "postgres"):
                self.assertNotIn(secret, body, f"{label}: the answer names {secret!r}")
            self.assertIn(r.headers["x-request-id"], body, f"{label}: no request id")
        log = "".join(b.lines)
        self.assertIn("registry unavailable", b.api.get("client-b", 1).body.decode())
        for secret in ("UserSecret1", "QuerySecret2"):
            self.assertNotIn(secret, log, f"the log has the password {secret!r}")


if __name__ == "__main__":
    unittest.main()
