"""EC2: VPCs, route tables, routes, peerings, quotas, filters, blackholes, and
the cross-account peering dance."""

import datetime as dt
import json
import unittest

from awsenv_base import AwsEnvCase, HUB, B, C, trust


class Ec2Test(AwsEnvCase):
    # peering.py's rules, without strict_ec2.py's (tested in test_strict_ec2.py): these
    # tests read CIDR blocks of pending peerings and expect an accept to be active at once
    extra_args = ("--lenient-ec2",)

    def vpc(self, who, cidr):
        return self.client("ec2", who).create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]

    def test_vpcs_route_tables_routes(self):
        ec2 = self.client("ec2")
        vpc = self.vpc("hub", "10.0.0.0/22")
        peer = self.vpc("hub", "10.0.4.0/22")
        got = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"]
        self.assertEqual((got[0]["CidrBlock"], got[0]["OwnerId"]), ("10.0.0.0/22", HUB))
        self.assertEqual(len(ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Vpcs"]), 1)
        rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        pcx2 = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=self.vpc("hub", "10.0.8.0/22"))["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx2)
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="10.0.4.0/22", VpcPeeringConnectionId=pcx)
        self.assertAwsError(ec2.create_route, "RouteAlreadyExists", 400, RouteTableId=rt,
                            DestinationCidrBlock="10.0.4.0/22", VpcPeeringConnectionId=pcx)
        ec2.replace_route(RouteTableId=rt, DestinationCidrBlock="10.0.4.0/22", VpcPeeringConnectionId=pcx2)

        def routes():
            t = ec2.describe_route_tables(RouteTableIds=[rt])["RouteTables"][0]
            return {r["DestinationCidrBlock"]: r for r in t["Routes"]}
        r = routes()["10.0.4.0/22"]
        self.assertEqual((r["VpcPeeringConnectionId"], r["State"]), (pcx2, "active"))
        self.assertEqual(routes()["10.0.0.0/22"]["GatewayId"], "local")
        # DescribeRouteTables filters
        for flt, expect in (
            ({"Name": "vpc-id", "Values": [vpc]}, True),
            ({"Name": "vpc-id", "Values": [peer]}, False),
            ({"Name": "route-table-id", "Values": [rt]}, True),
            ({"Name": "route.destination-cidr-block", "Values": ["10.0.4.0/22"]}, True),
            ({"Name": "route.destination-cidr-block", "Values": ["10.9.0.0/22"]}, False),
            ({"Name": "route.vpc-peering-connection-id", "Values": [pcx2]}, True),
        ):
            with self.subTest(flt):
                ids = [t["RouteTableId"] for t in ec2.describe_route_tables(Filters=[flt])["RouteTables"]]
                self.assertEqual(rt in ids, expect)
        ec2.delete_route(RouteTableId=rt, DestinationCidrBlock="10.0.4.0/22")
        self.assertNotIn("10.0.4.0/22", routes())
        self.assertAwsError(ec2.delete_route, "InvalidRoute.NotFound", 400, RouteTableId=rt,
                            DestinationCidrBlock="10.0.4.0/22")

    def test_unknown_peering_id(self):
        ec2 = self.client("ec2")
        err = self.assertAwsError(ec2.describe_vpc_peering_connections,
                                  "InvalidVpcPeeringConnectionID.NotFound", 400,
                                  VpcPeeringConnectionIds=["pcx-0123456789abcdef0"])
        self.assertEqual(err["Error"]["Message"],
                         "The vpcPeeringConnection ID 'pcx-0123456789abcdef0' does not exist")
        self.assertAwsError(ec2.accept_vpc_peering_connection,
                            "InvalidVpcPeeringConnectionID.NotFound", 400,
                            VpcPeeringConnectionId="pcx-0123456789abcdef0")
        self.assertAwsError(ec2.delete_vpc_peering_connection,
                            "InvalidVpcPeeringConnectionID.NotFound", 400,
                            VpcPeeringConnectionId="pcx-0123456789abcdef0")

    def test_peering_filters(self):
        ec2 = self.client("ec2")
        a = self.vpc("hub", "10.0.0.0/22")
        b = self.vpc("client-b", "10.0.4.0/22")
        c = self.vpc("client-c", "10.0.8.0/22")
        p_b = self.client("ec2", "client-b").create_vpc_peering_connection(
            VpcId=b, PeerVpcId=a, PeerOwnerId=HUB,
            TagSpecifications=[{"ResourceType": "vpc-peering-connection",
                                "Tags": [{"Key": "ns", "Value": "1"}]}])["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        p_c = self.client("ec2", "client-c").create_vpc_peering_connection(
            VpcId=c, PeerVpcId=a, PeerOwnerId=HUB)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=p_c)

        def ids(*filters):
            r = ec2.describe_vpc_peering_connections(
                Filters=[{"Name": n, "Values": v} for n, v in filters])
            return {p["VpcPeeringConnectionId"] for p in r["VpcPeeringConnections"]}
        self.assertEqual(ids(), {p_b, p_c})
        expires = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[p_b])[
            "VpcPeeringConnections"][0]["ExpirationTime"].astimezone(dt.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%S.000Z")
        cases = [
            ([("vpc-peering-connection-id", [p_b])], {p_b}),
            ([("status-code", ["active"])], {p_c}),
            ([("status-code", ["pending-acceptance"])], {p_b}),
            ([("status-code", ["pending-acceptance", "active"])], {p_b, p_c}),
            ([("requester-vpc-info.vpc-id", [b])], {p_b}),
            ([("accepter-vpc-info.vpc-id", [a])], {p_b, p_c}),
            ([("requester-vpc-info.owner-id", [C])], {p_c}),
            ([("accepter-vpc-info.owner-id", [HUB])], {p_b, p_c}),
            ([("accepter-vpc-info.owner-id", [B])], set()),
            ([("requester-vpc-info.cidr-block", ["10.0.4.0/22"])], {p_b}),
            ([("accepter-vpc-info.cidr-block", ["10.0.0.0/22"])], {p_b, p_c}),
            # B's tags are B's: the accepter does not see them (test_peering_tags_are_per_account)
            ([("tag:ns", ["1"])], set()),
            ([("accepter-vpc-info.vpc-id", [a]), ("status-code", ["active"])], {p_c}),
            ([("expiration-time", [expires])], {p_b}),
            ([("expiration-time", ["2001-01-01T00:00:00.000Z"])], set()),
        ]
        for flt, expect in cases:
            with self.subTest(flt):
                self.assertEqual(ids(*flt), expect)
        both = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[p_b, p_c],
                                                    Filters=[{"Name": "status-code", "Values": ["active"]}])
        self.assertEqual([p["VpcPeeringConnectionId"] for p in both["VpcPeeringConnections"]], [p_c])

    def test_route_quota(self):
        self.env.post("/_awsenv/config", {"max_routes_per_table": 3})
        ec2 = self.client("ec2")
        vpc = self.vpc("hub", "10.0.0.0/22")
        rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        for i in range(3):
            ec2.create_route(RouteTableId=rt, DestinationCidrBlock=f"10.1.{i}.0/24", GatewayId=igw)
        self.assertAwsError(ec2.create_route, "RouteLimitExceeded", 400, RouteTableId=rt,
                            DestinationCidrBlock="10.1.9.0/24", GatewayId=igw)
        # an existing destination still answers RouteAlreadyExists; replace still works
        self.assertAwsError(ec2.create_route, "RouteAlreadyExists", 400, RouteTableId=rt,
                            DestinationCidrBlock="10.1.0.0/24", GatewayId=igw)
        ec2.replace_route(RouteTableId=rt, DestinationCidrBlock="10.1.0.0/24", GatewayId=igw)
        ec2.delete_route(RouteTableId=rt, DestinationCidrBlock="10.1.0.0/24")
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="10.1.9.0/24", GatewayId=igw)

    def pcx(self, who, vpc, peer_vpc, owner=HUB, **kw):
        return self.client("ec2", who).create_vpc_peering_connection(
            VpcId=vpc, PeerVpcId=peer_vpc, PeerOwnerId=owner, **kw)["VpcPeeringConnection"]["VpcPeeringConnectionId"]

    def status(self, pcx, who="hub"):
        return self.client("ec2", who).describe_vpc_peering_connections(
            VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]

    def test_active_peering_quota_counts_active_only(self):
        self.env.post("/_awsenv/config", {"max_peerings_per_vpc": 2})
        ec2 = self.client("ec2")
        hub = self.vpc("hub", "10.0.0.0/22")
        who = ["client-b", "client-c", "client-d", "client-b"]
        reqs = [self.pcx(w, self.vpc(w, f"10.0.{4 * (i + 1)}.0/22"), hub) for i, w in enumerate(who)]
        # four pending requests into a VPC whose quota is 2: pending ones do not count
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=reqs[0])
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=reqs[1])
        self.assertAwsError(ec2.accept_vpc_peering_connection,
                            "ActiveVpcPeeringConnectionPerVpcLimitExceeded", 400,
                            VpcPeeringConnectionId=reqs[2])
        self.assertEqual(self.status(reqs[2])["Status"]["Code"], "pending-acceptance")
        # a deleted active peering frees its place
        ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=reqs[0])
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=reqs[2])
        # the requester's VPC is counted as well
        b_ec2 = self.client("ec2", "client-b")
        b_vpc = self.vpc("client-b", "10.1.0.0/22")
        for i in range(2):
            p = self.pcx("client-b", b_vpc, self.vpc("client-b", f"10.1.{4 * (i + 1)}.0/22"), owner=B)
            b_ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=p)
        to_hub = self.pcx("client-b", b_vpc, self.vpc("hub", "10.2.0.0/22"))
        self.assertAwsError(ec2.accept_vpc_peering_connection,
                            "ActiveVpcPeeringConnectionPerVpcLimitExceeded", 400,
                            VpcPeeringConnectionId=to_hub)

    def test_outstanding_request_quota(self):
        self.env.post("/_awsenv/config", {"max_outstanding_peering_requests": 2})
        hub = self.vpc("hub", "10.0.0.0/22")
        b_vpc = self.vpc("client-b", "10.0.4.0/22")
        first = self.pcx("client-b", b_vpc, hub)
        second = self.pcx("client-b", b_vpc, self.vpc("hub", "10.0.8.0/22"))
        third = dict(VpcId=b_vpc, PeerVpcId=self.vpc("hub", "10.0.12.0/22"), PeerOwnerId=HUB)
        b_ec2 = self.client("ec2", "client-b")
        self.assertAwsError(b_ec2.create_vpc_peering_connection,
                            "OutstandingVpcPeeringConnectionLimitExceeded", 400, **third)
        # per requesting account: another account still may ask, into the same VPC
        self.pcx("client-c", self.vpc("client-c", "10.0.16.0/22"), hub)
        # an accepted request is no longer outstanding
        self.client("ec2").accept_vpc_peering_connection(VpcPeeringConnectionId=first)
        b_ec2.create_vpc_peering_connection(**third)
        self.assertAwsError(b_ec2.create_vpc_peering_connection,
                            "OutstandingVpcPeeringConnectionLimitExceeded", 400, **third)
        # nor is an expired one
        self.env.post("/_awsenv/peerings/expire", {"ids": [second]})
        b_ec2.create_vpc_peering_connection(**third)

    def test_only_accepter_owner_accepts_or_rejects(self):
        hub_ec2, b_ec2, c_ec2 = (self.client("ec2", w) for w in ("hub", "client-b", "client-c"))
        hub = self.vpc("hub", "10.0.0.0/22")
        b_vpc = self.vpc("client-b", "10.0.4.0/22")
        p1 = self.pcx("client-b", b_vpc, hub)
        p2 = self.pcx("client-b", b_vpc, self.vpc("hub", "10.0.8.0/22"))
        for fn in (b_ec2.accept_vpc_peering_connection, b_ec2.reject_vpc_peering_connection):
            # the requester may not accept or reject its own request
            self.assertAwsError(fn, "OperationNotPermitted", 400, VpcPeeringConnectionId=p1)
            # a third account does not even see it
            self.assertAwsError(getattr(c_ec2, fn.__name__), "InvalidVpcPeeringConnectionID.NotFound",
                                400, VpcPeeringConnectionId=p1)
        self.assertEqual(self.status(p1)["Status"]["Code"], "pending-acceptance")
        hub_ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=p1)
        hub_ec2.reject_vpc_peering_connection(VpcPeeringConnectionId=p2)
        self.assertEqual(self.status(p1, "client-b")["Status"]["Code"], "active")
        self.assertEqual(self.status(p2, "client-b")["Status"]["Code"], "rejected")
        # once decided, neither can be accepted or rejected again
        self.assertAwsError(hub_ec2.accept_vpc_peering_connection, "InvalidStateTransition", 400,
                            VpcPeeringConnectionId=p2)
        self.assertAwsError(hub_ec2.reject_vpc_peering_connection, "InvalidStateTransition", 400,
                            VpcPeeringConnectionId=p1)

    def test_delete_rules(self):
        hub_ec2, b_ec2, c_ec2 = (self.client("ec2", w) for w in ("hub", "client-b", "client-c"))
        hub = self.vpc("hub", "10.0.0.0/22")
        b_vpc = self.vpc("client-b", "10.0.4.0/22")
        peers = [self.vpc("hub", f"10.0.{8 + 4 * i}.0/22") for i in range(4)]
        pending = self.pcx("client-b", b_vpc, hub)
        # a pending request: not by the accepter (it rejects instead), by the requester
        self.assertAwsError(hub_ec2.delete_vpc_peering_connection, "OperationNotPermitted", 400,
                            VpcPeeringConnectionId=pending)
        self.assertAwsError(c_ec2.delete_vpc_peering_connection,
                            "InvalidVpcPeeringConnectionID.NotFound", 400, VpcPeeringConnectionId=pending)
        self.assertEqual(self.status(pending)["Status"]["Code"], "pending-acceptance")
        b_ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pending)
        self.assertEqual(self.status(pending)["Status"]["Code"], "deleted")
        # an active one: by either owner
        for deleter in (hub_ec2, b_ec2):
            p = self.pcx("client-b", b_vpc, peers.pop())
            hub_ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=p)
            deleter.delete_vpc_peering_connection(VpcPeeringConnectionId=p)
            self.assertEqual(self.status(p, "client-b")["Status"]["Code"], "deleted")
        # a rejected or expired one: by nobody
        rejected = self.pcx("client-b", b_vpc, peers.pop())
        hub_ec2.reject_vpc_peering_connection(VpcPeeringConnectionId=rejected)
        expired = self.pcx("client-b", b_vpc, peers.pop())
        self.env.post("/_awsenv/peerings/expire", {"ids": [expired]})
        for p in (rejected, expired):
            for c in (hub_ec2, b_ec2):
                self.assertAwsError(c.delete_vpc_peering_connection, "InvalidStateTransition", 400,
                                    VpcPeeringConnectionId=p)
        # a same-account request: its one owner is the requester
        own = self.client("ec2").create_vpc_peering_connection(
            VpcId=hub, PeerVpcId=self.vpc("hub", "10.3.0.0/22"))["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        hub_ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=own)

    def test_requests_expire_after_seven_days(self):
        hub_ec2 = self.client("ec2")
        hub = self.vpc("hub", "10.0.0.0/22")
        b_vpc = self.vpc("client-b", "10.0.4.0/22")
        before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        made = self.client("ec2", "client-b").create_vpc_peering_connection(
            VpcId=b_vpc, PeerVpcId=hub, PeerOwnerId=HUB)["VpcPeeringConnection"]
        after = dt.datetime.now(dt.timezone.utc)
        week = dt.timedelta(days=7)
        self.assertTrue(before + week <= made["ExpirationTime"] <= after + week, made)
        cross = made["VpcPeeringConnectionId"]
        # a same-account request waits for acceptance and expires too
        same = self.client("ec2").create_vpc_peering_connection(
            VpcId=hub, PeerVpcId=self.vpc("hub", "10.0.8.0/22"))["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        for p in (cross, same):
            st = self.status(p)
            self.assertEqual(st["Status"]["Code"], "pending-acceptance")
            self.assertIn("ExpirationTime", st)
        self.env.post("/_awsenv/clock", {"advance": week.total_seconds() - 120})
        self.assertEqual(self.status(cross)["Status"]["Code"], "pending-acceptance")
        self.env.post("/_awsenv/clock", {"advance": 120})
        for p in (cross, same):
            for who in ("hub", "client-b"):
                if who == "client-b" and p == same:
                    continue
                self.assertEqual(self.status(p, who)["Status"]["Code"], "expired")
            # it cannot be accepted or rejected any more
            self.assertAwsError(hub_ec2.accept_vpc_peering_connection, "InvalidStateTransition", 400,
                                VpcPeeringConnectionId=p)
            self.assertAwsError(hub_ec2.reject_vpc_peering_connection, "InvalidStateTransition", 400,
                                VpcPeeringConnectionId=p)
        # an accepted peering never expires
        active = self.pcx("client-b", b_vpc, self.vpc("hub", "10.0.12.0/22"))
        hub_ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=active)
        self.assertNotIn("ExpirationTime", self.status(active))
        self.env.post("/_awsenv/clock", {"advance": 30 * 86400})
        self.assertEqual(self.status(active)["Status"]["Code"], "active")
        # the control API refuses to expire what is not pending; reset puts the clock back
        with self.assertRaises(RuntimeError):
            self.env.post("/_awsenv/peerings/expire", {"ids": [active]})
        with self.assertRaises(RuntimeError):
            self.env.post("/_awsenv/clock", {"advance": "a week"})
        self.env.reset()
        self.assertEqual(self.env.get("/_awsenv/clock")["offset"], 0)

    def test_requester_cidr_block_set(self):
        hub = self.vpc("hub", "10.0.0.0/22")
        b_ec2 = self.client("ec2", "client-b")
        b_vpc = self.vpc("client-b", "10.0.4.0/22")
        p = self.pcx("client-b", b_vpc, hub)
        info = self.status(p)["RequesterVpcInfo"]
        self.assertEqual(info["CidrBlockSet"], [{"CidrBlock": "10.0.4.0/22"}])
        # a secondary block the requester adds is visible to the accepter
        assoc = b_ec2.associate_vpc_cidr_block(VpcId=b_vpc, CidrBlock="10.9.0.0/24")
        info = self.status(p)["RequesterVpcInfo"]
        self.assertEqual(info["CidrBlock"], "10.0.4.0/22")
        self.assertEqual(sorted(c["CidrBlock"] for c in info["CidrBlockSet"]),
                         ["10.0.4.0/22", "10.9.0.0/24"])
        self.assertEqual(self.status(p)["AccepterVpcInfo"]["CidrBlockSet"], [{"CidrBlock": "10.0.0.0/22"}])
        b_ec2.disassociate_vpc_cidr_block(
            AssociationId=assoc["CidrBlockAssociation"]["AssociationId"])
        self.assertEqual(self.status(p)["RequesterVpcInfo"]["CidrBlockSet"], [{"CidrBlock": "10.0.4.0/22"}])

    def test_peering_tags_are_per_account(self):
        hub_ec2, b_ec2, c_ec2 = (self.client("ec2", w) for w in ("hub", "client-b", "client-c"))
        hub = self.vpc("hub", "10.0.0.0/22")
        b_vpc = self.vpc("client-b", "10.0.4.0/22")
        p = self.pcx("client-b", b_vpc, hub, TagSpecifications=[
            {"ResourceType": "vpc-peering-connection", "Tags": [{"Key": "side", "Value": "b"}]}])
        other = self.pcx("client-b", b_vpc, self.vpc("hub", "10.0.8.0/22"))
        hub_ec2.create_tags(Resources=[p], Tags=[{"Key": "ns", "Value": "7"}, {"Key": "reg", "Value": "r1"}])

        def tags(who):
            return {t["Key"]: t["Value"] for t in self.status(p, who).get("Tags", [])}
        self.assertEqual(tags("hub"), {"ns": "7", "reg": "r1"})
        self.assertEqual(tags("client-b"), {"side": "b"})

        def ids(client, *filters):
            r = client.describe_vpc_peering_connections(
                Filters=[{"Name": n, "Values": v} for n, v in filters])
            return {x["VpcPeeringConnectionId"] for x in r["VpcPeeringConnections"]}
        for client, flt, expect in (
            (hub_ec2, [("tag:ns", ["7"])], {p}),
            (hub_ec2, [("tag-key", ["ns"])], {p}),
            (hub_ec2, [("tag-key", ["side"])], set()),
            (b_ec2, [("tag:ns", ["7"])], set()),
            (b_ec2, [("tag:side", ["b"])], {p}),
            (b_ec2, [("accepter-vpc-info.vpc-id", [hub])], {p}),
            (b_ec2, [("requester-vpc-info.owner-id", [B]), ("status-code", ["pending-acceptance"])], {p, other}),
            (hub_ec2, [("requester-vpc-info.owner-id", [B]), ("tag:reg", ["r1"])], {p}),
        ):
            with self.subTest(flt):
                self.assertEqual(ids(client, *flt), expect)
        # DeleteTags removes only the caller's own tags
        b_ec2.delete_tags(Resources=[p], Tags=[{"Key": "ns"}])
        self.assertEqual(tags("hub"), {"ns": "7", "reg": "r1"})
        hub_ec2.delete_tags(Resources=[p], Tags=[{"Key": "ns"}])
        self.assertEqual((tags("hub"), tags("client-b")), ({"reg": "r1"}, {"side": "b"}))
        # a third account can neither see nor tag it (moto checks CreateTags, awsenv DeleteTags)
        self.assertAwsError(c_ec2.create_tags, "InvalidVpcPeeringConnectionID.NotFound", 400,
                            Resources=[p], Tags=[{"Key": "x", "Value": "y"}])
        self.assertAwsError(c_ec2.delete_tags, "InvalidVpcPeeringConnectionID.NotFound", 400,
                            Resources=[p], Tags=[{"Key": "reg"}])

    def test_cross_account_peering_dance(self):
        hub_ec2, hub_iam = self.client("ec2"), self.client("iam")
        b_ec2, b_sts = self.client("ec2", "client-b"), self.client("sts", "client-b")
        a_vpc = self.vpc("hub", "10.0.0.0/22")
        a_rt = hub_ec2.create_route_table(VpcId=a_vpc)["RouteTable"]["RouteTableId"]
        role_arn = hub_iam.create_role(RoleName="vpc-peer",
                                       AssumeRolePolicyDocument=json.dumps(trust(f"arn:aws:iam::{C}:root")))["Role"]["Arn"]
        # what the role may do (iam_eval.py): accept, judged on the peering and the hub VPC
        hub_iam.put_role_policy(RoleName="vpc-peer", PolicyName="accept", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "ec2:AcceptVpcPeeringConnection",
                "Resource": [f"arn:aws:ec2:us-east-1:{HUB}:vpc-peering-connection/*",
                             f"arn:aws:ec2:us-east-1:{HUB}:vpc/{a_vpc}"]}]}))
        b_vpc = self.vpc("client-b", "10.0.4.0/22")
        # B requests the peering to A's VPC
        pcx = b_ec2.create_vpc_peering_connection(VpcId=b_vpc, PeerVpcId=a_vpc, PeerOwnerId=HUB,
                                                  PeerRegion="us-east-1")["VpcPeeringConnection"]
        pcx_id = pcx["VpcPeeringConnectionId"]
        self.assertEqual(pcx["AccepterVpcInfo"]["OwnerId"], HUB)
        # A sees it, with both sides right, pending acceptance
        seen = hub_ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])["VpcPeeringConnections"][0]
        self.assertEqual(seen["Status"]["Code"], "pending-acceptance")
        self.assertEqual((seen["RequesterVpcInfo"]["OwnerId"], seen["RequesterVpcInfo"]["VpcId"],
                          seen["RequesterVpcInfo"]["CidrBlock"]), (B, b_vpc, "10.0.4.0/22"))
        self.assertEqual((seen["AccepterVpcInfo"]["OwnerId"], seen["AccepterVpcInfo"]["VpcId"]), (HUB, a_vpc))
        # B may not accept with its own credentials
        self.assertAwsError(b_ec2.accept_vpc_peering_connection, "OperationNotPermitted", 400,
                            VpcPeeringConnectionId=pcx_id)
        # B can't assume A's peer role while the trust policy doesn't name B
        self.assertAwsError(b_sts.assume_role, "AccessDenied", 403, RoleArn=role_arn,
                            RoleSessionName="cfn")
        hub_iam.update_assume_role_policy(RoleName="vpc-peer", PolicyDocument=json.dumps(
            trust(f"arn:aws:iam::{C}:root", f"arn:aws:iam::{B}:root")))
        creds = b_sts.assume_role(RoleArn=role_arn, RoleSessionName="cfn")["Credentials"]
        as_peer = self.env.client("ec2", creds=(creds["AccessKeyId"], creds["SecretAccessKey"],
                                                creds["SessionToken"]))
        acc = as_peer.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)["VpcPeeringConnection"]
        self.assertEqual(acc["Status"]["Code"], "active")
        for c in (hub_ec2, b_ec2):
            st = c.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])["VpcPeeringConnections"][0]
            self.assertEqual(st["Status"]["Code"], "active")
        # A routes B's CIDR through the peering
        hub_ec2.create_route(RouteTableId=a_rt, DestinationCidrBlock="10.0.4.0/22",
                             VpcPeeringConnectionId=pcx_id)

        def route_state():
            t = hub_ec2.describe_route_tables(RouteTableIds=[a_rt])["RouteTables"][0]
            return {r["DestinationCidrBlock"]: r.get("State") for r in t["Routes"]}["10.0.4.0/22"]
        self.assertEqual(route_state(), "active")
        # deleting the peering (B does it) makes A's route a blackhole
        b_ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
        self.assertEqual(route_state(), "blackhole")
        st = hub_ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])["VpcPeeringConnections"][0]
        self.assertEqual(st["Status"]["Code"], "deleted")


if __name__ == "__main__":
    unittest.main()
