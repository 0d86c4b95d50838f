#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Scale of the transit-gateway mode (issue 16) against awsenv: N clients registered,
attached, confirmed and routed in one run, then all released back to the start state.
Prints the time per phase, per-registration and per-confirm latency by hundreds of live
namespaces, AWS calls per client (awsenv's counters: the broker's and the clients' own calls,
by service and action), and the broker's peak RSS. No timed assertion: figures only; the
lead measures on a quiet machine.

    python3 bench/tgw_scale.py [--bin build/vpcpeer] [--clients 1000] [--accounts 200]
                               [--threads 8]

Clients are spread over --accounts generated accounts (each accepts the share's invitation
once); --max-namespaces-per-account is lifted so that an account may hold several. Each
client is what a client stack does: register, accept the invitation, a VPC and one subnet
of its plan, an attachment to the hub's transit gateway, confirm. Then every namespace is
released, and the hub is compared with its start: no principal in the share, no client
attachment, no static route in the hub's table but none there at the start, no live
namespace. The same life cycle with AWS stubbed at the broker's AWS client (5,000
namespaces, no emulator in the loop) is bench/tgw_stub (bench/README.md).
"""

import argparse
import os
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from broker_harness import (AwsEnvProcess, Broker, Hub, HUB_CIDR,  # noqa: E402
                            generated_account, write_accounts_file)

ZONE = "us-east-1a"
NO_LIMITS = ["--rate-limit", "1000000", "--rate-burst", "1000000",
             "--sts-source-rate", "6000000", "--sts-source-burst", "1000000",
             "--sts-key-rate", "6000000", "--sts-key-burst", "1000000",
             "--sts-concurrency", "128", "--max-namespaces-per-account", "0",
             "--quarantine", "0", "--reconcile-interval", "0"]


def vm_hwm(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def hub_tgw(env, hub):
    """The hub as templates/hub-tgw.yaml builds it: (tgw, clients' table, hub table, share)."""
    ec2 = hub.ec2
    g = ec2.create_transit_gateway(
        Description="vpcpeer hub", Options={"AutoAcceptSharedAttachments": "disable",
                                            "DefaultRouteTableAssociation": "disable",
                                            "DefaultRouteTablePropagation": "disable"})[
        "TransitGateway"]
    tgw = g["TransitGatewayId"]
    crtb, hrtb, vrtb = (ec2.create_transit_gateway_route_table(TransitGatewayId=tgw)[
        "TransitGatewayRouteTable"]["TransitGatewayRouteTableId"] for _ in range(3))
    subnet = ec2.create_subnet(VpcId=hub.vpc, CidrBlock="10.0.0.0/24",
                               AvailabilityZone=ZONE)["Subnet"]["SubnetId"]
    att = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=hub.vpc,
                                                    SubnetIds=[subnet])[
        "TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=hrtb,
                                              TransitGatewayAttachmentId=att)
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=crtb,
                                     DestinationCidrBlock=HUB_CIDR,
                                     TransitGatewayAttachmentId=att)
    share = env.client("ram", "hub").create_resource_share(
        name="vpcpeer-hub", resourceArns=[g["TransitGatewayArn"]],
        allowExternalPrincipals=True)["resourceShare"]["resourceShareArn"]
    return tgw, crtb, hrtb, vrtb, share


class Run:
    def __init__(self, env, broker, tgw, accounts):
        self.env, self.broker, self.tgw = env, broker, tgw
        self.accounts = accounts
        self.accepted = set()
        self.lock = threading.Lock()
        self.register_s, self.confirm_s, self.release_s = [], [], []
        self.joined = []
        self.unconfirmed = []  # (who, n, attachment): released too, so the start state holds
        self.errors = []

    def accept(self, who):
        with self.lock:
            if who in self.accepted:
                return
            self.accepted.add(who)
        ram = self.env.client("ram", who)
        for inv in ram.get_resource_share_invitations()["resourceShareInvitations"]:
            if inv["status"] == "PENDING":
                ram.accept_resource_share_invitation(
                    resourceShareInvitationArn=inv["resourceShareInvitationArn"])

    def join(self, i):
        who = self.accounts[i % len(self.accounts)]
        api = self.broker.api
        t = time.monotonic()
        r = api.register(who, f"bench-{i}")
        with self.lock:
            self.register_s.append((len(self.joined), time.monotonic() - t))
        if r.status != 201:
            self.errors.append(f"register {i}: {r}")
            return
        ns = r.json
        self.accept(who)
        ec2 = self.env.client("ec2", who)
        vpc = ec2.create_vpc(CidrBlock=ns["VpcCidrBlock"])["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=ns["SubnetACidrBlock"],
                                   AvailabilityZone=ZONE)["Subnet"]["SubnetId"]
        att = ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=self.tgw, VpcId=vpc, SubnetIds=[subnet])[
            "TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
        t = time.monotonic()
        r = api.request("POST", f"/v1/namespaces/{ns['NamespaceId']}/confirm",
                        {"transit_gateway_attachment_id": att, "vpc_id": vpc}, who=who)
        with self.lock:
            self.confirm_s.append((len(self.joined), time.monotonic() - t))
            if r.status == 200:
                self.joined.append((who, ns["NamespaceId"]))
            else:
                self.errors.append(f"confirm {i}: {r}")
                self.unconfirmed.append((who, ns["NamespaceId"], att))

    def release(self, item):
        who, n = item[0], item[1]
        t = time.monotonic()
        r = self.broker.api.release(who, n)
        if len(item) > 2:  # not confirmed: the client deletes its own attachment
            self.env.client("ec2", who).delete_transit_gateway_vpc_attachment(
                TransitGatewayAttachmentId=item[2])
        with self.lock:
            self.release_s.append(time.monotonic() - t)
            if r.status != 200:
                self.errors.append(f"release {n}: {r}")


def in_threads(fn, items, threads):
    it = iter(items)
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                x = next(it, None)
            if x is None:
                return
            fn(x)

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def by_hundreds(samples):
    """Mean latency (ms) by hundreds of live namespaces at the time of the call."""
    out = {}
    for live, s in samples:
        out.setdefault(live // 100 * 100, []).append(s)
    return {k: 1000 * sum(v) / len(v) for k, v in sorted(out.items())}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "vpcpeer"))
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="vpcpeer-bench-tgw.")
    accounts = write_accounts_file(os.path.join(tmp, "accounts.json"), generated=args.accounts)
    env = AwsEnvProcess(accounts=accounts).start()
    broker = None
    try:
        hub = Hub(env, roles=0, route_tables=1)
        tgw, crtb, hrtb, vrtb, share = hub_tgw(env, hub)
        broker = Broker(env, hub, tmp, allow="any", binary=args.bin, roles=[], accepter=None,
                        args=NO_LIMITS + ["--attach", "transit-gateway",
                                          "--transit-gateway", tgw, "--resource-share", share,
                                          "--transit-gateway-client-table", crtb,
                                          "--transit-gateway-hub-table", hrtb,
                                          "--transit-gateway-verify-table", vrtb]).start()
        names = [generated_account(i)["name"] for i in range(1, args.accounts + 1)]
        run = Run(env, broker, tgw, names)
        env.request("DELETE", "/_awsenv/calls")
        t0 = time.monotonic()
        in_threads(run.join, range(args.clients), args.threads)
        joined_s = time.monotonic() - t0
        calls = env.calls()
        rss = vm_hwm(broker.proc.pid)
        env.request("DELETE", "/_awsenv/calls")
        t0 = time.monotonic()
        in_threads(run.release, list(run.joined) + list(run.unconfirmed), args.threads)
        released_s = time.monotonic() - t0
        release_calls = env.calls()
        hub_routes = hub.ec2.search_transit_gateway_routes(
            TransitGatewayRouteTableId=hrtb,
            Filters=[{"Name": "type", "Values": ["static"]}])["Routes"]
        live_ns = []
        # a caller sees its own account's namespaces
        for who in sorted({x[0] for x in run.joined + run.unconfirmed}):
            listed = broker.api.request("GET", "/v1/namespaces?limit=1000", who=who)
            if listed.status != 200:
                live_ns = None
                break
            live_ns += [x for x in listed.json.get("Namespaces", [])
                        if x.get("State") in ("pending", "active", "failed")]
        left = env.client("ram", "hub").get_resource_share_associations(
            associationType="PRINCIPAL", resourceShareArns=[share])["resourceShareAssociations"]
        live_atts = [a for a in hub.ec2.describe_transit_gateway_vpc_attachments(
            Filters=[{"Name": "transit-gateway-id", "Values": [tgw]}])[
            "TransitGatewayVpcAttachments"] if a["State"] not in ("deleted", "deleting")]

        n = max(len(run.joined), 1)
        print(f"clients joined: {len(run.joined)} of {args.clients} "
              f"({args.accounts} accounts, {args.threads} threads)")
        print(f"join (register + client side + confirm): {joined_s:.1f} s, "
              f"{args.clients / joined_s:.1f} clients/s")
        print(f"release: {released_s:.1f} s")
        print("register latency by live namespaces (ms):", by_hundreds(run.register_s))
        print("confirm latency by live namespaces (ms):", by_hundreds(run.confirm_s))
        total = calls.get("total", 0)
        print(f"AWS calls while joining: {total} ({total / n:.1f} per client, the clients' "
              "own included)")
        for svc, actions in sorted(calls.get("calls", {}).items()):
            for action, c in sorted(actions.items()):
                print(f"  {svc}:{action} {c['total']} ({c['total'] / n:.2f} per client)")
        rtotal = release_calls.get("total", 0)
        print(f"AWS calls while releasing: {rtotal} ({rtotal / n:.1f} per client)")
        for svc, actions in sorted(release_calls.get("calls", {}).items()):
            for action, c in sorted(actions.items()):
                print(f"  {svc}:{action} {c['total']} ({c['total'] / n:.2f} per client)")
        print(f"broker peak RSS: {rss / 1024:.1f} MiB")
        principals = len([a for a in left if a['status'] in ('ASSOCIATED', 'ASSOCIATING')])
        print(f"after release: {principals} principals, {len(live_atts) - 1} client "
              f"attachments, {len(hub_routes)} static routes in the hub table, "
              f"{'?' if live_ns is None else len(live_ns)} live namespaces "
              "(start state: 0, 0, 0, 0)")
        back = principals == 0 and len(live_atts) == 1 and not hub_routes and live_ns == []
        print("back to the start state:", "yes" if back else "NO")
        for e in run.errors[:10]:
            print("error:", e)
    finally:
        if broker:
            broker.stop()
        env.stop()


if __name__ == "__main__":
    main()
