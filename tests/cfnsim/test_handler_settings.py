# SPDX-License-Identifier: Apache-2.0
"""Issue 22, defect 8: the client stack's handler as CloudFormation and Lambda behave, end to
end (templates/client.yaml, the simulator, the real broker and handler; broker mode):

- a Create whose answer CloudFormation never gets (its pre-signed URL refused: expired) is
  not retried by Lambda, CloudFormation waits out ServiceTimeout and rolls back with a
  Delete carrying an id of its own: the handler releases the registration by the stack's
  client reference, so no namespace stays pending;
- a broker whose plan has fewer subnets than the template reads fails the stack at its
  registration, naming both counts, and releases what it registered;
- BrokerCaFile reaches the function (VPCPEER_BROKER_CA_FILE): a broker whose certificate a
  private CA signed is trusted through it, and refused without it;
- the zip's S3 key follows HandlerArchitecture (vpcpeer-lambda-<arch>.zip)."""

import json
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cfnsim  # noqa: E402
import test_stacks as ts  # noqa: E402

bh = ts.bh
CODE_BUCKET = "vpcpeer-handler-code"


def make_ca_and_cert(workdir):
    """A private CA and a server certificate for 127.0.0.1 it signed: (ca.pem, cert, key)."""
    ca, ca_key = os.path.join(workdir, "ca.pem"), os.path.join(workdir, "ca.key")
    cert, key = os.path.join(workdir, "tls.crt"), os.path.join(workdir, "tls.key")
    csr = os.path.join(workdir, "tls.csr")
    ext = os.path.join(workdir, "tls.ext")
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-days", "2", "-subj", "/CN=vpcpeer test private CA", "-keyout", ca_key,
        "-out", ca)
    run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", csr)
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-days", "2", "-extfile", ext, "-out", cert)
    return ca, cert, key


def _json_line(line):
    try:
        d = json.loads(line)
    except ValueError:
        return {}
    return d if isinstance(d, dict) else {}


class HandlerSettings(ts.StackCase):
    def deploy_with(self, broker, who, name, **params):
        p = {"BrokerUrl": broker.url, "ServerId": bh.SERVER_ID,
             "HandlerCodeBucket": CODE_BUCKET, "PeeringAccepter": self.MODE}
        p.update(params)
        return self.sim.create_stack(name, ts.CLIENT_TEMPLATE, who, parameters=p,
                                     capabilities=["CAPABILITY_IAM"])

    def test_create_without_answer_rolls_back_and_releases(self):
        broker = self.start_broker()
        # CloudFormation waits ServiceTimeout (300 s) for the answer: capped here
        self.sim.service_timeout_cap = 15
        self.sim.bucket.expire_urls("Registration")
        st = self.deploy_with(broker, "client-b", "client-b")
        self.assertEqual(st.status, "ROLLBACK_COMPLETE", self.diagnose(st))
        failed = [e for e in st.events if e["ResourceStatus"] == "CREATE_FAILED"]
        self.assertEqual([e["LogicalResourceId"] for e in failed], ["Registration"])
        self.assertIn("did not receive a response", failed[0]["ResourceStatusReason"])
        # one invocation: an expired URL is final, Lambda is not made to retry it (the
        # function is gone with the rollback: its log tells)
        log = "".join(self.sim.lambda_logs().values())
        creates = [d for d in map(_json_line, log.splitlines())
                   if d.get("logical_id") == "Registration" and d.get("request_type") == "Create"]
        self.assertEqual([d.get("delivered") for d in creates], [False], log[-3000:])
        self.assertNotIn("(Create Registration) failed", log)
        # the rollback's Delete names CloudFormation's own id, not the handler's
        dels = [r for r in st.requests if r["RequestType"] == "Delete"]
        self.assertEqual([r["LogicalResourceId"] for r in dels], ["Registration"])
        self.assertFalse(dels[0]["PhysicalResourceId"].startswith("vpcpeer-"), dels)
        # ... and the namespace the Create registered is released, not left pending
        every = broker.api.list_all("hub")
        self.assertEqual([(n["NamespaceId"], n["State"]) for n in every], [(1, "released")],
                         self.diagnose(st))
        self.assertGone(broker, "client-b", 1)

    def test_broker_with_fewer_subnets_fails_at_the_registration(self):
        broker = self.start_broker(["--subnets", "2"])
        st = self.deploy_with(broker, "client-c", "client-c")
        self.assertEqual(st.status, "ROLLBACK_COMPLETE", self.diagnose(st))
        failed = [e for e in st.events if e["ResourceStatus"] == "CREATE_FAILED"]
        self.assertEqual([e["LogicalResourceId"] for e in failed], ["Registration"])
        reason = failed[0]["ResourceStatusReason"]
        self.assertIn("has 2 subnets", reason)
        self.assertIn("this template reads 4", reason)
        self.assertIn("--subnets 4", reason)
        self.assertIn("namespace 1 released", reason)
        self.assertNotIn("Subnet", [e["LogicalResourceId"][:6] for e in st.events])
        self.assertEqual(self.live(broker), {})
        self.assertGone(broker, "client-c", 1)

    @unittest.skipUnless(shutil.which("openssl"), "no openssl")
    def test_private_ca_broker_and_architecture_code_key(self):
        ca, cert, key = make_ca_and_cert(self.workdir)
        broker = bh.Broker(self.env, self.hub, self.workdir,
                           args=self.mode_args + ["--tls-cert", cert, "--tls-key", key],
                           binary=self.bin, allow=ts.CLIENTS, name="tls-broker", ca_file=ca)
        self.brokers.append(broker)
        broker.start()
        self.assertTrue(broker.url.startswith("https://"), broker.url)
        # only the key the x86_64 functions must read exists in the code bucket
        self.sim.lambdas.code = {f"{CODE_BUCKET}/vpcpeer-lambda-x86_64.zip": self.sim.lambdas.code}

        # Without the private CA the handler refuses the broker's certificate.
        st = self.deploy_with(broker, "client-b", "client-b-noca")
        self.assertEqual(st.status, "ROLLBACK_COMPLETE", self.diagnose(st))
        failed = [e for e in st.events if e["ResourceStatus"] == "CREATE_FAILED"]
        self.assertEqual([e["LogicalResourceId"] for e in failed], ["Registration"])
        self.assertRegex(failed[0]["ResourceStatusReason"], r"(?i)certificate")

        # BrokerCaFile: the function's VPCPEER_BROKER_CA_FILE (here a host path: no layers)
        st = self.deploy_with(broker, "client-b", "client-b", BrokerCaFile=ca,
                              HandlerLogLevel="debug")
        self.assertEqual(st.status, "CREATE_COMPLETE", self.diagnose(st))
        fn = self.sim.lambdas.get(self.handler_arn(st))
        self.assertEqual(fn.variables.get("VPCPEER_BROKER_CA_FILE"), ca)
        self.assertEqual(fn.variables.get("VPCPEER_LOG_LEVEL"), "debug")
        self.assertEqual(self.sim.delete_stack(st).status, "DELETE_COMPLETE", self.diagnose(st))
        self.assertGone(broker, "client-b", 1)

    def handler_arn(self, st):
        return st.resources["Handler"]["Attributes"]["Arn"]

    def test_code_key_follows_the_architecture(self):
        """arm64 cannot run here (cfnsim runs the host's architecture only): the template is
        evaluated as CloudFormation would, both functions' Code for each architecture."""
        for arch, params, want in (
                ("arm64", {}, "vpcpeer-lambda-arm64.zip"),
                ("x86_64", {}, "vpcpeer-lambda-x86_64.zip"),
                ("arm64", {"HandlerCodeKey": "custom/arm.zip"}, "custom/arm.zip")):
            p = {"BrokerUrl": "https://broker.example.com", "HandlerCodeBucket": CODE_BUCKET,
                 "HandlerArchitecture": arch, "HealthCheck": "10.0.0.5:443"}
            p.update(params)
            st = cfnsim.Stack(self.sim, "arch", cfnsim.load_template(ts.CLIENT_TEMPLATE),
                              "client-b", p, ["CAPABILITY_IAM"], (), False)
            st.resolve_parameters()
            for c in st.template["Conditions"]:
                st.condition(c)
            for fn in ("Handler", "ProbeFunction"):
                props = st.template["Resources"][fn]["Properties"]
                self.assertEqual(st.eval(props["Code"]), {"S3Bucket": CODE_BUCKET, "S3Key": want})
                self.assertEqual(st.eval(props["Architectures"]), [arch])


if __name__ == "__main__":
    unittest.main()
