"""Broker mode (--peering-accepter broker, the default; issue 13): register makes no IAM call
and names no peer role; the client requests the peering from its own account with no role;
confirm checks the pending request and the broker accepts it, tags it and routes; release ends
the peering from the hub side. Each check is attacked: a peering from another account, from
another VPC than the one named, with a wrong CIDR, with a secondary block, or to another VPC
than the hub is refused with 409 and never accepted. Peer-role mode tags too, and the start-up
rules of both modes (peer-role needs --peer-role; broker mode says so when the registry still
has granted accounts)."""

import subprocess
import time
import unittest

from broker_harness import Broker, E2ECase, HUB_ACCOUNT, REGION


class BrokerAccepts(E2ECase):

    def start(self, args=(), **kw):
        kw.setdefault("accepter", None)   # the default: broker mode
        kw.setdefault("roles", ())        # and no --peer-role at all
        return self.start_broker(["--quarantine", "0"] + list(args), **kw)

    def peering(self, pcx):
        return self.hub.ec2.describe_vpc_peering_connections(
            VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]

    def tags(self, pcx):
        """The hub account's tags on pcx (DescribeTags: awsenv's DescribeVpcPeeringConnections
        may not show a tagSet)."""
        got = self.hub.ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [pcx]}])
        return {t["Key"]: t["Value"] for t in got["Tags"]}

    def status(self, pcx):
        return self.peering(pcx)["Status"]["Code"]

    def iam_calls(self):
        return self.env.calls()["calls"].get("iam", {})

    def request(self, who, cidr, ns, peer_vpc=None):
        """The client's side in broker mode: a VPC, a peering request, no role: (vpc, pcx)."""
        c = self.client(who)
        vpc = c.create_vpc(cidr)
        if peer_vpc is None:
            return vpc, c.request_peering(vpc, ns)
        pcx = c.ec2.create_vpc_peering_connection(
            VpcId=vpc, PeerVpcId=peer_vpc, PeerOwnerId=HUB_ACCOUNT,
            PeerRegion=REGION)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        return vpc, pcx

    # ---- the whole life cycle ---------------------------------------------------------------

    def test_life_cycle(self):
        self.env.request("DELETE", "/_awsenv/calls")
        b = self.start()
        r = b.api.register("client-b", "stack-1")
        self.assertStatus(r, 201)
        ns = r.json
        self.assertNamespace(ns, 1, "222222222222", "pending", "stack-1", accepter="broker")
        self.assertEqual(self.iam_calls(), {}, "broker mode: no IAM call, at start or register")
        self.assertNotIn("VpcpeerClientAccounts", str(self.hub.trusts()))
        self.env.request("DELETE", "/_awsenv/calls")    # the test's own GetRole calls

        vpc, pcx = self.request("client-b", ns["VpcCidrBlock"], ns)
        self.assertEqual(self.status(pcx), "pending-acceptance")
        r = b.api.confirm("client-b", 1, pcx, vpc)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["State"], "active")
        self.assertEqual(r.json["VpcPeeringConnectionId"], pcx)
        self.assertEqual(r.json["PeeringAccepter"], "broker")
        p = self.peering(pcx)
        self.assertEqual(p["Status"]["Code"], "active", "the broker accepted it")
        tags = self.tags(pcx)
        self.assertEqual(tags.get("vpcpeer:namespace"), "1", tags)
        self.assertEqual(tags.get("vpcpeer:account"), "222222222222", tags)
        self.assertEqual(tags.get("vpcpeer:client-ref"), "stack-1", tags)
        self.assertEqual(tags.get("Name"), "vpcpeer-1", tags)
        self.assertRegex(tags.get("vpcpeer:registry", ""), r"^[0-9a-f]{32}$", tags)
        routes = self.hub.routes()
        for rtb in self.hub.route_tables:
            self.assertIn((ns["VpcCidrBlock"], pcx, "active"), routes[rtb])
        # the same confirm again: the same answer
        self.assertStatus(b.api.confirm("client-b", 1, pcx, vpc), 200)
        self.assertEqual(self.iam_calls(), {}, "broker mode: no IAM call at confirm")

        # release: routes gone, the peering deleted from the hub side
        r = b.api.release("client-b", 1)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["State"], "released")
        self.assertEqual(self.status(pcx), "deleted")
        for rtb, rs in self.hub.routes().items():
            self.assertFalse([x for x in rs if x[0] == ns["VpcCidrBlock"]], rtb)
        self.assertStatus(b.api.release("client-b", 1), 200)   # again: fine, nothing to end
        self.assertEqual(self.iam_calls(), {}, "broker mode: no IAM call at release")

    def test_release_rejects_a_pending_peering(self):
        """A confirm that recorded its intent but could not accept (AWS refused): release
        rejects the still pending request, so a reused n never inherits it."""
        b = self.start()
        ns = b.api.register("client-b", "stack-p").json
        vpc, pcx = self.request("client-b", ns["VpcCidrBlock"], ns)
        self.env.post("/_awsenv/faults", {"rules": [{
            "service": "ec2", "action": "AcceptVpcPeeringConnection", "fault": "error",
            "status": 400, "code": "OperationNotPermitted", "message": "injected"}]})
        r = b.api.confirm("client-b", 1, pcx, vpc)
        self.assertGreaterEqual(r.status, 400, r)
        self.env.request("DELETE", "/_awsenv/faults")
        self.assertEqual(self.status(pcx), "pending-acceptance")
        self.assertEqual(b.api.get("client-b", 1).json["State"], "pending")
        self.assertStatus(b.api.release("client-b", 1), 200)
        self.assertEqual(self.status(pcx), "rejected")

    # ---- the accept wait cap (--accept-wait) -------------------------------------------------

    def accepts(self):
        return self.env.calls()["calls"].get("ec2", {}).get(
            "AcceptVpcPeeringConnection", {}).get("total", 0)

    def intent(self, b, n):
        """The (peering, VPC) ids the registry holds for n: a pending record's are confirm's
        intent, which the API does not show."""
        import sqlite3
        with sqlite3.connect(b.db[len("sqlite:"):]) as db:
            return db.execute("SELECT peering_id, vpc_id FROM namespaces WHERE n = ? AND "
                              "state = 'pending'", (n,)).fetchone()

    def test_accept_wait_cap_answers_confirm_again(self):
        """A peering still provisioning --accept-wait after the broker's accept: 503 "confirm
        again" and nothing changed beyond the recorded intent (pending, no route, not tagged);
        the same confirm while it still provisions waits again (no second accept) and answers
        503 again; once it is active the same confirm finishes the namespace."""
        b = self.start(["--accept-wait", "1"])
        ns = b.api.register("client-b", "slow").json
        vpc, pcx = self.request("client-b", ns["VpcCidrBlock"], ns)
        self.env.post("/_awsenv/peerings/hold", {"ids": [pcx]})
        self.env.request("DELETE", "/_awsenv/calls")
        before = self.snapshot(b)
        for attempt in (1, 2):
            r = b.api.confirm("client-b", 1, pcx, vpc)
            self.assertStatus(r, 503, "unavailable", f"try {attempt}:")
            self.assertIn("confirm again", r.error[1])
            self.assertIn("--accept-wait", r.error[1])
            self.assertEqual(self.status(pcx), "provisioning")
            self.assertUnchanged(before, b, f"try {attempt}")
            self.assertEqual(self.intent(b, 1), (pcx, vpc), "the intent is recorded")
            self.assertEqual(self.tags(pcx), {}, "not tagged before it is active")
            self.assertEqual(self.accepts(), 1, "accepted once, not again by the retry")
        self.assertEqual(self.env.post("/_awsenv/peerings/activate", {"ids": [pcx]}),
                         {"activated": [pcx]})
        r = b.api.confirm("client-b", 1, pcx, vpc)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["State"], "active")
        self.assertEqual(r.json["VpcPeeringConnectionId"], pcx)
        self.assertEqual(self.accepts(), 1)
        self.assertEqual(self.tags(pcx).get("vpcpeer:namespace"), "1")
        routes = self.hub.routes()
        for rtb in self.hub.route_tables:
            self.assertIn((ns["VpcCidrBlock"], pcx, "active"), routes[rtb])

    def test_accept_wait_flag_is_checked(self):
        for bad in ("0", "21", "x"):
            br = Broker(self.env, self.hub, self.workdir, args=["--accept-wait", bad],
                        binary=self.bin, name="badwait")
            p = subprocess.run(br.cmd, env=br.env_vars, capture_output=True, text=True,
                               timeout=60, cwd=self.workdir)
            self.assertNotEqual(p.returncode, 0, p.stderr)
            self.assertIn("--accept-wait", p.stderr)

    # ---- attacks: each refused, never accepted ----------------------------------------------

    def refused(self, b, who, n, pcx, vpc, words, may_be_deleted=False):
        before = self.snapshot(b)
        r = b.api.confirm(who, n, pcx, vpc)
        self.assertStatus(r, 409, "conflict", f"{words}:")
        self.assertIn(words, r.error[1])
        st = self.status(pcx)
        # AWS shows the requester's CIDR blocks only once active: a block it cannot see before
        # is caught after acceptance and the peering deleted at once (never routed)
        allowed = ("pending-acceptance", "deleted") if may_be_deleted else ("pending-acceptance",)
        self.assertIn(st, allowed, f"{words}: the broker accepted a peering it refused")
        self.assertUnchanged(before, b, words)
        got = b.api.get(who, n).json
        self.assertEqual(got["State"], "pending")
        self.assertIsNone(got["VpcPeeringConnectionId"])

    def test_foreign_and_mismatched_peerings_are_never_accepted(self):
        b = self.start()
        ns1 = b.api.register("client-b", "b-1").json
        ns2 = b.api.register("client-c", "c-1").json
        # another account's peering (client-c's, with n = 1's block) offered for n = 1
        vpc_c, pcx_c = self.request("client-c", ns1["VpcCidrBlock"], ns1)
        self.refused(b, "client-b", 1, pcx_c, vpc_c, "requested by account 333333333333")
        # the right peering, another VPC named
        vpc_b, pcx_b = self.request("client-b", ns1["VpcCidrBlock"], ns1)
        other = self.client("client-b").create_vpc("192.168.0.0/24")
        self.refused(b, "client-b", 1, pcx_b, other, "requested from VPC")
        # a VPC with n = 2's block offered for n = 1
        vpc_w, pcx_w = self.request("client-b", ns2["VpcCidrBlock"], ns1)
        self.refused(b, "client-b", 1, pcx_w, vpc_w, ns2["VpcCidrBlock"], may_be_deleted=True)
        # a request to another VPC of the hub account than the hub VPC
        not_hub = self.hub.ec2.create_vpc(CidrBlock="172.16.0.0/24")["Vpc"]["VpcId"]
        vpc_o, pcx_o = self.request("client-b", ns1["VpcCidrBlock"], ns1, peer_vpc=not_hub)
        self.refused(b, "client-b", 1, pcx_o, vpc_o, "not the hub VPC")
        # after all that, the right one is accepted
        self.assertStatus(b.api.confirm("client-b", 1, pcx_b, vpc_b), 200)
        self.assertEqual(self.status(pcx_b), "active")

    def test_secondary_block_is_refused(self):
        b = self.start()
        ns = b.api.register("client-b", "b-2").json
        c = self.client("client-b")
        vpc = c.create_vpc(ns["VpcCidrBlock"])
        c.ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.0.8.0/22")  # n = 2's block
        pcx = c.request_peering(vpc, ns)
        self.refused(b, "client-b", 1, pcx, vpc, "10.0.8.0/22", may_be_deleted=True)

    def test_hidden_extra_block_is_deleted_never_routed(self):
        """AWS shows no CIDR block of a peering before it is active (awsenv strict_ec2.py,
        on by default): a request from the right account and VPC whose VPC has an extra block
        passes every check the broker can make, is accepted, and once active its block set
        is seen and the peering deleted at once: 409, no hub route, nothing tagged."""
        self.env.post("/_awsenv/config", {"strict_pcx_hide_cidr": True,
                                          "strict_pcx_provisioning_describes": 2})
        b = self.start()
        ns = b.api.register("client-b", "b-hidden").json
        c = self.client("client-b")
        vpc = c.create_vpc(ns["VpcCidrBlock"])
        c.ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.0.8.0/22")
        pcx = c.request_peering(vpc, ns)
        self.assertNotIn("CidrBlockSet", self.peering(pcx)["RequesterVpcInfo"])
        r = b.api.confirm("client-b", 1, pcx, vpc)
        self.assertStatus(r, 409, "conflict")
        self.assertIn("10.0.8.0/22", r.error[1])
        self.assertIn("deleted", r.error[1])
        self.assertEqual(self.status(pcx), "deleted")
        for rtb, routes in self.hub.routes().items():
            self.assertFalse([x for x in routes if x[1] == pcx], rtb)
        self.assertNotIn("vpcpeer:namespace", self.tags(pcx))
        self.assertEqual(b.api.get("client-b", 1).json["State"], "pending")

    def test_peering_not_shown_yet_is_waited_out(self):
        """EC2 is eventually consistent: a peering id created a moment ago answers NotFound
        for a while (strict_ec2.py). Confirm reads it again instead of refusing it (409)."""
        b = self.start()
        ns = b.api.register("client-b", "b-new").json
        self.env.post("/_awsenv/config", {"strict_new_id_hidden_seconds": 1.0})
        vpc, pcx = self.request("client-b", ns["VpcCidrBlock"], ns)
        r = b.api.confirm("client-b", 1, pcx, vpc)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["State"], "active")

    def test_expired_registration_cannot_be_confirmed(self):
        """Past its TTL a pending registration cannot be confirmed (409 naming --pending-ttl)
        and its request is not accepted; no reconciler here (it would release it)."""
        import datetime as dt
        b = self.start(["--pending-ttl", "1", "--reconcile-interval", "0"])
        ns = b.api.register("client-b", "late").json
        vpc, pcx = self.request("client-b", ns["VpcCidrBlock"], ns)
        expires = dt.datetime.strptime(ns["ExpiresAt"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=dt.timezone.utc)
        # waiting for the clock to pass ExpiresAt (there is no event to wait on)
        time.sleep(max(0.0, (expires - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 1.1)
        r = b.api.confirm("client-b", 1, pcx, vpc)
        self.assertStatus(r, 409, "conflict")
        self.assertIn("--pending-ttl", r.error[1])
        self.assertEqual(self.status(pcx), "pending-acceptance")

    # ---- peer-role mode: the client accepts, the broker checks and tags ---------------------

    def test_peer_role_mode_tags_and_release_deletes(self):
        b = self.start_broker(["--quarantine", "0"], accepter="peer-role")
        r = b.api.register("client-b", "pr-1")
        self.assertStatus(r, 201)
        self.assertNamespace(r.json, 1, "222222222222", "pending", accepter="peer-role")
        vpc, pcx = self.client("client-b").peer(r.json)
        self.assertStatus(b.api.confirm("client-b", 1, pcx, vpc), 200)
        tags = self.tags(pcx)
        self.assertEqual(tags.get("vpcpeer:namespace"), "1", tags)
        self.assertStatus(b.api.release("client-b", 1), 200)
        self.assertEqual(self.status(pcx), "deleted")

    # ---- start-up ----------------------------------------------------------------------------

    def test_start_up_rules(self):
        # peer-role mode needs --peer-role
        br = Broker(self.env, self.hub, self.workdir, roles=(), accepter="peer-role",
                    binary=self.bin, name="norole")
        p = subprocess.run(br.cmd, env=br.env_vars, capture_output=True, text=True, timeout=60,
                           cwd=self.workdir)
        self.assertNotEqual(p.returncode, 0, p.stderr)
        self.assertIn("--peer-role", p.stderr)
        # an unknown mode
        br = Broker(self.env, self.hub, self.workdir, accepter="client", binary=self.bin,
                    name="badmode")
        p = subprocess.run(br.cmd, env=br.env_vars, capture_output=True, text=True, timeout=60,
                           cwd=self.workdir)
        self.assertNotEqual(p.returncode, 0, p.stderr)
        self.assertIn("--peering-accepter", p.stderr)
        # a registry with a granted account (peer-role mode), then broker mode: it says so
        db = f"sqlite:{self.workdir}/switch.db"
        pr = self.start_broker(accepter="peer-role", db=db, name="peerrole")
        self.assertStatus(pr.api.register("client-b", "sw-1"), 201)
        self.assertEqual(pr.stop(), [])
        self.brokers.remove(pr)
        bm = self.start(db=db, name="brokermode")
        self.assertRegex(bm.log_text(), r"(?i)1 account\(s\) are still granted.*Switching modes")
        # the pending peer-role namespace answers as broker mode's: no role to assume
        got = bm.api.get("client-b", 1).json
        self.assertEqual(got["PeeringAccepter"], "broker")
        self.assertIsNone(got["PeerRoleArn"])


if __name__ == "__main__":
    unittest.main()
