# SPDX-License-Identifier: Apache-2.0
"""`vpcpeer reconcile --once --dry-run --detailed-exitcode` (issue 17): 0 when the pass finds
nothing, 3 when it finds drift (a code no error uses), 1 when the pass cannot run, 2 for bad
usage; without the flag drift is 0, as before. Against awsenv and the reconciler tests' hub
(tests/reconcile/rec_harness.py)."""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reconcile"))
from rec_harness import ReconcileCase, block, vpcpeer_bin  # noqa: E402


class DetailedExitCodeTest(ReconcileCase):
    def run_reconcile(self, b, *flags, env=None):
        cmd = [vpcpeer_bin(), "reconcile", "--once"] + list(flags) + b.config()
        p = subprocess.run(cmd, capture_output=True, env=env or b.environ(), timeout=300)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def test_exit_codes(self):
        b = self.broker().start()
        self.cycle_up(b.api, "client-b", "stack-b")  # n = 1, active, routed
        b.stop(self)

        rc, out, err = self.run_reconcile(b, "--dry-run", "--detailed-exitcode")
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(json.loads(out)["summary"]["planned"], 0, out)  # piped: JSON by default

        # drift: a hub route of namespace 1 deleted by hand
        self.hub.ec2.delete_route(RouteTableId=self.hub.tables[0],
                                  DestinationCidrBlock=block(1))
        rc, out, err = self.run_reconcile(b, "--dry-run", "--detailed-exitcode")
        self.assertEqual(rc, 3, out + err)
        self.assertGreater(json.loads(out)["summary"]["planned"], 0, out)
        rc, out, err = self.run_reconcile(b, "--dry-run")
        self.assertEqual(rc, 0, out + err)
        rc, out, err = self.run_reconcile(b, "--dry-run", "--detailed-exitcode", "--output",
                                          "table")
        self.assertEqual(rc, 3, out + err)
        self.assertIn("dry run: ", out)
        self.assertIn("create_route", out)

        # an error is 1, never 3: AWS cannot be reached
        env = b.environ()
        env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1"
        rc, out, err = self.run_reconcile(b, "--dry-run", "--detailed-exitcode",
                                          "--aws-retry-base-delay", "1", env=env)
        self.assertEqual(rc, 1, out + err)

        # bad usage is 2
        rc, out, err = self.run_reconcile(b, "--dry-run", "--detailed-exitcode", "--output",
                                          "yaml")
        self.assertEqual(rc, 2, out + err)
        self.assertIn("--output must be table or json, not 'yaml'", err)

        # the real pass repairs it; then there is nothing left: 0
        rc, out, err = self.run_reconcile(b, "--detailed-exitcode")
        self.assertEqual(rc, 3, out + err)
        self.assertGreater(json.loads(out)["summary"]["changed"], 0, out)
        rc, out, err = self.run_reconcile(b, "--dry-run", "--detailed-exitcode")
        self.assertEqual(rc, 0, out + err)


if __name__ == "__main__":
    unittest.main()
