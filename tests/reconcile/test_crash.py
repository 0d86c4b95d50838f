"""Crash points (VPCPEER_CRASH_AT, docs/reconciler.md): for each point before and after the
AWS-changing steps of register, confirm and release, `vpcpeer serve` dies there (SIGKILL), is
started again, one `vpcpeer reconcile --once` runs, and the invariants hold: no namespace held
twice, no trust entry without a live namespace, no hub route without an active namespace, every
acknowledged registration still there. The client's retry then completes the workflow.
Peer-role mode (the client accepts with the peer role) and broker mode (the broker accepts at
confirm: confirm.after_accept is the crash between its accept and the routes; then every
accepted peering into the hub must still be a live namespace's, none deleted, none made
twice)."""

import unittest

from rec_harness import Client, ReconcileCase, check_invariants

REGISTER_POINTS = ["register.after_allocate", "register.before_grant", "register.after_grant",
                   "grants.before_update", "grants.after_update"]
CONFIRM_POINTS = ["confirm.after_intent", "confirm.after_route", "confirm.after_active"]
RELEASE_POINTS = ["release.after_releasing", "release.after_routes", "release.after_peering",
                  "release.after_revoke", "release.after_released"]
BROKER_CONFIRM_POINTS = ["confirm.after_intent", "confirm.after_accept", "confirm.after_route",
                         "confirm.after_active"]
BROKER_RELEASE_POINTS = ["release.after_releasing", "release.after_routes",
                         "release.after_peering", "release.after_released"]


class CrashTest(ReconcileCase):
    def crash_case(self, point, workflow, mode="peer-role"):
        b = self.broker(mode=mode)
        b.start()
        api = b.api
        acct_b = self.env.accounts["client-b"]["id"]
        acct_c = self.env.accounts["client-c"]["id"]
        # before the crash: an acknowledged, confirmed registration of another account, and
        # the steps of client-b's stack before the one that crashes
        ns_c = self.cycle_up(api, "client-c", "stack-c")
        acked = [(acct_c, "stack-c", ns_c["NamespaceId"])]
        ns = vpc = pcx = None
        if workflow != "register":
            r = api.register("client-b", "stack-b")
            self.assertEqual(r.status, 201, r)
            acked.append((acct_b, "stack-b", r.json["NamespaceId"]))
            ns = r.json
            vpc, pcx = Client(self.env, "client-b").peer(ns)
            if workflow == "release":
                c = api.confirm("client-b", ns["NamespaceId"], pcx, vpc)
                self.assertEqual(c.status, 200, c)
        b.stop(self)
        b.crash_at = point
        b.start()
        api = b.api
        try:
            if workflow == "register":
                api.register("client-b", "stack-b")
            elif workflow == "confirm":
                api.confirm("client-b", ns["NamespaceId"], pcx, vpc)
            else:
                api.release("client-b", ns["NamespaceId"])
        except Exception:
            pass    # the broker died before answering
        rc = b.wait_dead(120)
        self.assertEqual(rc, -9, f"{point}: the broker did not die at the crash point "
                                 f"(exit {rc})\n{''.join(b.lines[-20:])}")
        self.assertTrue(any(point in l for l in b.lines), point)

        # restart (no crash point), stop, reconcile once, check
        b.crash_at = None
        b.start()
        b.stop(self)
        rc, rep = b.reconcile()
        self.assertEqual(rc, 0, rep)
        if workflow == "release":
            acked = [a for a in acked if a[1] != "stack-b"]  # the client asked to release it
        check_invariants(self, b, acked)
        if mode == "broker" and workflow == "confirm":
            # the client's request is still there: pending acceptance, or accepted by the
            # broker that died (nothing deleted it); the namespace still pending
            self.assertIn(self.peering_status(pcx), ("pending-acceptance", "active"), point)
            self.assertEqual([r["state"] for r in b.records() if r["ref"] == "stack-b"],
                             ["active" if point == "confirm.after_active" else "pending"])

        # the client's retry completes the workflow
        b.start()
        api = b.api
        if workflow == "register":
            r = api.register("client-b", "stack-b")
            self.assertIn(r.status, (200, 201), r)
            self.assertIn(self.env.accounts["client-b"]["id"], self.hub.trusted())
            Client(self.env, "client-b").peer(r.json)   # the peer role lets it in
        elif workflow == "confirm":
            c = api.confirm("client-b", ns["NamespaceId"], pcx, vpc)
            self.assertEqual(c.status, 200, c)
            self.assertEqual(c.json["VpcPeeringConnectionId"], pcx)
            self.assertEqual(self.peering_status(pcx), "active", point)
            self.assertEqual(self.hub_peerings_active(), 2, f"{point}: client-b's and client-c's")
        else:
            d = api.release("client-b", ns["NamespaceId"])
            self.assertEqual(d.status, 200, d)
            self.assertEqual(d.json["State"], "released")
        b.stop(self)
        rc, rep = b.reconcile()
        self.assertEqual([i for i in rep["items"] if i["outcome"] != "reported"], [],
                         f"{point}: the retry left work for the reconciler: {rep}")
        check_invariants(self, b, [a for a in acked if a[1] != "stack-b"])
        if workflow == "release":
            self.assertIn(self.peering_status(pcx), ("deleted", "rejected"), point)

    def peering_status(self, pcx):
        return self.hub.ec2.describe_vpc_peering_connections(
            VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]["Status"]["Code"]

    def hub_peerings_active(self):
        return sum(1 for p in self.hub.peerings() if p["Status"]["Code"] == "active")

    def test_register_points(self):
        for point in REGISTER_POINTS:
            with self.subTest(point=point):
                self.setUp()
                self.crash_case(point, "register")

    def test_confirm_points(self):
        for point in CONFIRM_POINTS:
            with self.subTest(point=point):
                self.setUp()
                self.crash_case(point, "confirm")

    def test_release_points(self):
        for point in RELEASE_POINTS:
            with self.subTest(point=point):
                self.setUp()
                self.crash_case(point, "release")

    def test_broker_mode_confirm_points(self):
        for point in BROKER_CONFIRM_POINTS:
            with self.subTest(point=point):
                self.setUp()
                self.crash_case(point, "confirm", mode="broker")

    def test_broker_mode_release_points(self):
        for point in BROKER_RELEASE_POINTS:
            with self.subTest(point=point):
                self.setUp()
                self.crash_case(point, "release", mode="broker")


if __name__ == "__main__":
    unittest.main()
