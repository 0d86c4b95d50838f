"""A data plane for the AWS test environment: Linux network namespaces built from its EC2 state.

    from dataplane import DataPlane
    dp = DataPlane.from_awsenv(env)              # ec2 clients of the accounts to read
    hub = dp.host(hub_subnet, security_groups=[sg])
    svc = dp.serve(hub, 8080)                    # a TCP service in the hub host's namespace
    client = dp.host(client_subnet)
    dp.connect(client, hub.addr, 8080)           # "connected" | "refused" | "timeout" | "unreachable"
    ...change something through the EC2 API...
    dp.sync()                                    # the namespaces follow
    dp.close()                                   # also at exit and on SIGTERM/SIGINT/SIGHUP

The model (README.md says why each part is as it is and cites AWS's pages):
- each VPC a namespace V (the VPC's router); each host a namespace H joined to V by a veth
  (H: eth0 with the host's address; V: h<k> with the subnet router's address .1);
- in V, policy routing: `to <VPC CIDR> lookup 10` (the local route: table 10 holds a /32 per
  host and a blackhole for the rest of the CIDR), then `iif h<k> lookup <table of the subnet's
  route table>` (explicit association, else the VPC's main table), then `blackhole`: a packet
  that came in from a peering or the transit gateway and is not for this VPC is dropped (no
  transitive routing), and so is one that matches no route;
- each active peering a veth pair px<k> between the two V namespaces; each available transit
  gateway VPC attachment a veth pair between V (tg<k>) and the gateway's namespace T (at<k>);
  link addresses are 169.254.x.y/30, inside the namespaces only;
- in T: `iif at<k> lookup <table of the attachment's associated route table>`, then `blackhole`;
  its tables hold the static and propagated routes SearchTransitGatewayRoutes answers;
- a host's security groups as nftables rules in H (input and output hooks, stateful).

Nothing is added to the machine's own namespace: veths are created directly in their target
namespaces. Namespaces are named vpdp-<pid>-<random>-...; close() deletes them, and a new
DataPlane first deletes those of runs whose process is gone (a run killed by SIGKILL).
"""

import atexit
import ctypes
import errno
import ipaddress
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import threading

PREFIX = "vpdp-"
_STALE_RE = re.compile(r"^vpdp-(\d+)-")
CLONE_NEWNET = 0x40000000
LOCAL_TABLE = 10          # the local route: the VPC's hosts
FIRST_TABLE = 100         # route tables, one Linux table each
NFT_TABLE = "vpdp_sg"

_libc = ctypes.CDLL(None, use_errno=True)


class DataPlaneError(RuntimeError):
    pass


def _run(cmd, input=None, check=True):
    p = subprocess.run(cmd, input=input, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise DataPlaneError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}"
                             + (f"\ninput:\n{input}" if input else ""))
    return p


def _ip_batch(ns, lines):
    if lines:
        _run(["ip", "-n", ns, "-batch", "-"], input="\n".join(lines) + "\n")


def _netns_list():
    p = _run(["ip", "-j", "netns", "list"], check=False)
    if p.returncode != 0 or not p.stdout.strip():
        return []
    return [n["name"] for n in json.loads(p.stdout)]


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale():
    """Delete the namespaces of earlier runs whose process is gone (killed before cleanup)."""
    removed = []
    for name in _netns_list():
        m = _STALE_RE.match(name)
        if m and not _pid_alive(int(m.group(1))):
            _run(["ip", "netns", "del", name], check=False)
            removed.append(name)
    return removed


def available():
    """(True, "") when this process can create network namespaces and nftables runs in them;
    else (False, why)."""
    for tool in ("ip", "nft"):
        if _run(["sh", "-c", f"command -v {tool}"], check=False).returncode != 0:
            return False, f"{tool} is not installed (scripts/setup installs iproute2 and nftables)"
    name = f"{PREFIX}{os.getpid()}-probe{secrets.token_hex(2)}"
    p = _run(["ip", "netns", "add", name], check=False)
    if p.returncode != 0:
        return False, f"cannot create a network namespace (CAP_NET_ADMIN?): {p.stderr.strip()}"
    try:
        p = _run(["ip", "netns", "exec", name, "nft", "list", "ruleset"], check=False)
        if p.returncode != 0:
            return False, f"nftables does not run in a namespace: {p.stderr.strip()}"
    finally:
        _run(["ip", "netns", "del", name], check=False)
    return True, ""


def in_netns(ns, fn):
    """Run fn() in a thread that has entered namespace ns (setns(2) is per thread); sockets it
    creates stay in ns. Returns fn's value or raises its exception."""
    out = {}

    def body():
        try:
            fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    e = ctypes.get_errno()
                    raise OSError(e, f"setns {ns}: {os.strerror(e)}")
            finally:
                os.close(fd)
            out["value"] = fn()
        except BaseException as e:  # handed to the caller
            out["error"] = e
    t = threading.Thread(target=body, name=f"netns-{ns}")
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def _pages(ec2, op, key, **kw):
    if ec2.can_paginate(op):
        for page in ec2.get_paginator(op).paginate(**kw):
            yield from page.get(key, [])
    else:
        yield from getattr(ec2, op)(**kw).get(key, [])


class Host:
    """An address in a subnet, in its own namespace (the instance's network interface)."""

    def __init__(self, name, ns, subnet_id, vpc_id, addr, gateway, dev, security_groups):
        self.name, self.ns, self.subnet_id, self.vpc_id = name, ns, subnet_id, vpc_id
        self.addr, self.gateway, self.dev = addr, gateway, dev
        self.security_groups = list(security_groups or [])

    def __repr__(self):
        return f"Host({self.name} {self.addr} in {self.subnet_id})"


class Service:
    """A TCP service listening in a host's namespace: answers b"ok\\n" and closes."""

    def __init__(self, host, port):
        self.host, self.port = host, port

        def listen():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", port))
            s.listen(64)
            return s
        # listen() has returned before serve() does: a connect can follow at once.
        self.sock = in_netns(host.ns, listen)
        self.accepted = 0
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            try:
                c.sendall(b"ok\n")
            except OSError:
                pass
            c.close()

    def stop(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)


class Link:
    def __init__(self, ns_a, dev_a, addr_a, ns_b, dev_b, addr_b):
        self.ns_a, self.dev_a, self.addr_a = ns_a, dev_a, addr_a
        self.ns_b, self.dev_b, self.addr_b = ns_b, dev_b, addr_b


class DataPlane:
    _live = set()
    _handlers_installed = False

    def __init__(self, clients, include_default_vpcs=False):
        """clients: {account id: boto3 EC2 client of that account}; every account whose VPCs,
        peerings, transit gateways and security groups the network is built from."""
        remove_stale()
        self.clients = dict(clients)
        self.include_default = include_default_vpcs
        self.run = f"{PREFIX}{os.getpid()}-{secrets.token_hex(2)}-"
        self.counter = 0
        self.vpc_ns = {}      # vpc id -> namespace
        self.tgw_ns = {}      # tgw id -> namespace
        self.links = {}       # ("pcx", id) | ("tgw", attachment id) | ("host", name) -> Link
        self.hosts = {}       # name -> Host
        self.services = []
        self.tables = {}      # namespace -> Linux table ids installed by the last sync
        self.state = None
        self.unmodelled = []  # routes whose target is not modelled (dropped), from the last sync
        self.closed = False
        DataPlane._live.add(self)
        DataPlane._install_handlers()

    @classmethod
    def from_awsenv(cls, env, accounts=("hub", "client-b", "client-c", "client-d"), **kw):
        return cls({env.accounts[a]["id"]: env.client("ec2", a) for a in accounts}, **kw)

    # ---- cleanup ----
    @classmethod
    def _install_handlers(cls):
        if cls._handlers_installed or threading.current_thread() is not threading.main_thread():
            return
        cls._handlers_installed = True
        atexit.register(cls.close_all)
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            prev = signal.getsignal(sig)

            def handler(signum, frame, _prev=prev):
                cls.close_all()
                if callable(_prev):
                    _prev(signum, frame)
                else:
                    signal.signal(signum, signal.SIG_DFL)
                    os.kill(os.getpid(), signum)
            signal.signal(sig, handler)

    @classmethod
    def close_all(cls):
        for dp in list(cls._live):
            dp.close()

    def close(self):
        """Stop the services and delete every namespace of this run (their veths go with them)."""
        if self.closed:
            return
        self.closed = True
        for s in self.services:
            s.stop()
        self.services = []
        for name in _netns_list():
            if name.startswith(self.run):
                _run(["ip", "netns", "del", name], check=False)
        DataPlane._live.discard(self)

    def namespaces(self):
        return sorted(n for n in _netns_list() if n.startswith(self.run))

    # ---- reading the AWS state ----
    def read(self):
        st = {"vpcs": {}, "subnets": {}, "rtbs": {}, "pcx": {}, "tgws": {}, "atts": {},
              "tgw_rtbs": {}, "owner_client": {}}
        for acct, ec2 in self.clients.items():
            for v in _pages(ec2, "describe_vpcs", "Vpcs"):
                if v.get("IsDefault") and not self.include_default:
                    continue
                cidrs = [a["CidrBlock"] for a in v.get("CidrBlockAssociationSet", [])
                         if a.get("CidrBlockState", {}).get("State", "associated") == "associated"]
                st["vpcs"][v["VpcId"]] = {"cidrs": cidrs or [v["CidrBlock"]], "account": acct}
                st["owner_client"][v["VpcId"]] = ec2
            for s in _pages(ec2, "describe_subnets", "Subnets"):
                if s["VpcId"] in st["vpcs"]:
                    st["subnets"][s["SubnetId"]] = {"vpc": s["VpcId"], "cidr": s["CidrBlock"],
                                                    "az": s.get("AvailabilityZone")}
            for r in _pages(ec2, "describe_route_tables", "RouteTables"):
                if r["VpcId"] not in st["vpcs"]:
                    continue
                assoc = r.get("Associations", [])
                st["rtbs"][r["RouteTableId"]] = {
                    "vpc": r["VpcId"], "routes": r.get("Routes", []), "account": acct,
                    "main": any(a.get("Main") for a in assoc),
                    "subnets": [a["SubnetId"] for a in assoc if a.get("SubnetId")]}
            # https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html: only an
            # active peering carries traffic.
            for p in _pages(ec2, "describe_vpc_peering_connections", "VpcPeeringConnections",
                            Filters=[{"Name": "status-code", "Values": ["active"]}]):
                st["pcx"][p["VpcPeeringConnectionId"]] = (p["RequesterVpcInfo"]["VpcId"],
                                                          p["AccepterVpcInfo"]["VpcId"])
            for g in _pages(ec2, "describe_transit_gateways", "TransitGateways"):
                if g.get("State") in ("available", "pending", "modifying") and \
                        g.get("OwnerId") == acct:
                    st["tgws"][g["TransitGatewayId"]] = {"client": ec2}
            for a in _pages(ec2, "describe_transit_gateway_vpc_attachments",
                            "TransitGatewayVpcAttachments"):
                if a.get("State") == "available":
                    st["atts"][a["TransitGatewayAttachmentId"]] = {
                        "tgw": a["TransitGatewayId"], "vpc": a["VpcId"]}
        for tgw_id, g in st["tgws"].items():
            ec2 = g["client"]
            for t in _pages(ec2, "describe_transit_gateway_route_tables",
                            "TransitGatewayRouteTables",
                            Filters=[{"Name": "transit-gateway-id", "Values": [tgw_id]}]):
                rid = t["TransitGatewayRouteTableId"]
                if t.get("State") not in (None, "available", "pending"):
                    continue
                assoc = [a["TransitGatewayAttachmentId"] for a in _pages(
                    ec2, "get_transit_gateway_route_table_associations", "Associations",
                    TransitGatewayRouteTableId=rid)
                    if a.get("State", "associated") == "associated"]
                routes = ec2.search_transit_gateway_routes(
                    TransitGatewayRouteTableId=rid, MaxResults=1000,
                    Filters=[{"Name": "type", "Values": ["static", "propagated"]}])["Routes"]
                st["tgw_rtbs"][rid] = {"tgw": tgw_id, "associations": assoc, "routes": routes}
        self.state = st
        return st

    def _prefix_list_cidrs(self, ec2, pl_id):
        try:
            return [e["Cidr"] for e in _pages(ec2, "get_managed_prefix_list_entries", "Entries",
                                               PrefixListId=pl_id)]
        except Exception:
            for other in self.clients.values():  # a list shared with this account (RAM)
                if other is ec2:
                    continue
                try:
                    return [e["Cidr"] for e in _pages(
                        other, "get_managed_prefix_list_entries", "Entries", PrefixListId=pl_id)]
                except Exception:
                    continue
            raise

    # ---- building ----
    def _next(self):
        self.counter += 1
        return self.counter

    def _link_addrs(self, k):
        base = int(ipaddress.IPv4Address("169.254.0.0")) + 4 * k
        return str(ipaddress.IPv4Address(base + 1)), str(ipaddress.IPv4Address(base + 2))

    def _new_ns(self, label, forward):
        name = f"{self.run}{label}"
        _run(["ip", "netns", "add", name])
        # rp_filter off: policy routing sends replies by another table than the request came by.
        sysctls = ["net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
                   f"net.ipv4.ip_forward={1 if forward else 0}"]
        _run(["ip", "netns", "exec", name, "sysctl", "-qw"] + sysctls)
        _ip_batch(name, ["link set lo up"])
        return name

    def _ns_exists(self, ns, existing):
        return ns in existing

    def _add_link(self, key, ns_a, dev_a, ns_b, dev_b):
        a, b = self._link_addrs(self._next())
        _run(["ip", "link", "add", dev_a, "netns", ns_a, "type", "veth",
              "peer", "name", dev_b, "netns", ns_b])
        _ip_batch(ns_a, [f"addr add {a}/30 dev {dev_a}", f"link set {dev_a} up"])
        _ip_batch(ns_b, [f"addr add {b}/30 dev {dev_b}", f"link set {dev_b} up"])
        self.links[key] = Link(ns_a, dev_a, a, ns_b, dev_b, b)

    def _del_link(self, key, existing):
        link = self.links.pop(key)
        if link.ns_a in existing:
            _run(["ip", "-n", link.ns_a, "link", "del", link.dev_a], check=False)

    def sync(self):
        """Read the AWS state again and make the namespaces follow it: namespaces and links are
        added and removed as VPCs, peerings and attachments come and go; routes, rules and
        security groups are installed afresh."""
        st = self.read()
        existing = set(_netns_list())
        # VPCs
        for vpc_id in list(self.vpc_ns):
            if vpc_id not in st["vpcs"]:
                ns = self.vpc_ns.pop(vpc_id)
                for name, h in list(self.hosts.items()):
                    if h.vpc_id == vpc_id:
                        self._drop_host(name)
                _run(["ip", "netns", "del", ns], check=False)
                for key in [k for k, l in self.links.items() if ns in (l.ns_a, l.ns_b)]:
                    self.links.pop(key)
        for vpc_id in st["vpcs"]:
            if vpc_id not in self.vpc_ns:
                self.vpc_ns[vpc_id] = self._new_ns(f"v{self._next()}", forward=True)
        for tgw_id in list(self.tgw_ns):
            if tgw_id not in st["tgws"]:
                ns = self.tgw_ns.pop(tgw_id)
                _run(["ip", "netns", "del", ns], check=False)
                for key in [k for k, l in self.links.items() if ns in (l.ns_a, l.ns_b)]:
                    self.links.pop(key)
        for tgw_id in st["tgws"]:
            if tgw_id not in self.tgw_ns:
                self.tgw_ns[tgw_id] = self._new_ns(f"t{self._next()}", forward=True)
        existing = set(_netns_list())
        # links: peerings between two modelled VPCs, attachments of modelled VPCs
        want = {}
        for pcx, (va, vb) in st["pcx"].items():
            if va in self.vpc_ns and vb in self.vpc_ns:
                want[("pcx", pcx)] = (self.vpc_ns[va], self.vpc_ns[vb], "px")
        for att, a in st["atts"].items():
            if a["vpc"] in self.vpc_ns and a["tgw"] in self.tgw_ns:
                want[("tgw", att)] = (self.vpc_ns[a["vpc"]], self.tgw_ns[a["tgw"]], "tg")
        for key in list(self.links):
            if key[0] != "host" and key not in want:
                self._del_link(key, existing)
        for key, (ns_a, ns_b, kind) in want.items():
            if key not in self.links:
                k = self.counter + 1
                dev_a, dev_b = (f"px{k}", f"px{k}") if kind == "px" else (f"tg{k}", f"at{k}")
                self._add_link(key, ns_a, dev_a, ns_b, dev_b)
        self.unmodelled = []
        for vpc_id, ns in self.vpc_ns.items():
            self._install_vpc(vpc_id, ns, st)
        for tgw_id, ns in self.tgw_ns.items():
            self._install_tgw(tgw_id, ns, st)
        for h in self.hosts.values():
            self._install_sg(h, st)
        return st

    def _subnet_rtb(self, subnet_id, st):
        """The route table a subnet's traffic follows: its explicit association, else the main
        table (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-route-tables.html)."""
        vpc = st["subnets"][subnet_id]["vpc"]
        main = None
        for rid, r in st["rtbs"].items():
            if subnet_id in r["subnets"]:
                return rid
            if r["vpc"] == vpc and r["main"]:
                main = rid
        return main

    def _reset_routing(self, ns):
        """Remove the rules and tables the last sync installed (the kernel's local table and the
        priority-0 rule stay)."""
        lines = ["rule flush"]
        for t in sorted(self.tables.get(ns, ())):
            lines.append(f"route flush table {t}")
        _ip_batch(ns, lines)

    def _route_lines(self, table, dest, target):
        if target is None:
            return [f"route replace blackhole {dest} table {table}"]
        dev, via = target
        return [f"route replace {dest} via {via} dev {dev} onlink table {table}"]

    def _install_vpc(self, vpc_id, ns, st):
        vpc = st["vpcs"][vpc_id]
        ec2 = st["owner_client"][vpc_id]
        self._reset_routing(ns)
        lines, tables = [], {LOCAL_TABLE}
        # The local route: every address of the VPC's CIDRs is delivered inside the VPC, whatever
        # link the packet came in by.
        for h in self.hosts.values():
            if h.vpc_id == vpc_id:
                lines.append(f"route replace {h.addr}/32 dev {h.dev} table {LOCAL_TABLE}")
        for cidr in vpc["cidrs"]:
            lines.append(f"route replace blackhole {cidr} table {LOCAL_TABLE}")
            lines.append(f"rule add priority 100 to {cidr} lookup {LOCAL_TABLE}")
        table_of = {}
        for i, (rid, r) in enumerate(sorted((k, v) for k, v in st["rtbs"].items()
                                            if v["vpc"] == vpc_id)):
            table = FIRST_TABLE + i
            table_of[rid] = table
            tables.add(table)
            for route in r["routes"]:
                lines += self._vpc_route(ns, table, route, ec2, st)
        for k, h in enumerate(sorted(self.hosts.values(), key=lambda h: h.name)):
            if h.vpc_id != vpc_id:
                continue
            rid = self._subnet_rtb(h.subnet_id, st)
            if rid in table_of:
                lines.append(f"rule add priority {1000 + k} iif {h.dev} lookup {table_of[rid]}")
        # No transitive routing through a peering (or the transit gateway's ENIs): traffic that
        # came in and is not for this VPC, and traffic no route matches, is dropped.
        # https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html (limitations)
        lines.append("rule add priority 32000 blackhole")
        _ip_batch(ns, lines)
        self.tables[ns] = tables

    def _vpc_route(self, ns, table, route, ec2, st):
        if route.get("GatewayId") == "local":
            return []
        if "DestinationCidrBlock" in route:
            dests = [route["DestinationCidrBlock"]]
        elif "DestinationPrefixListId" in route:
            dests = self._prefix_list_cidrs(ec2, route["DestinationPrefixListId"])
        else:
            return []  # IPv6: not modelled
        target = None
        if route.get("State") != "blackhole":
            pcx, tgw = route.get("VpcPeeringConnectionId"), route.get("TransitGatewayId")
            if pcx and ("pcx", pcx) in self.links:
                target = self._far_end(("pcx", pcx), ns)
            elif tgw:
                for key, link in self.links.items():
                    if key[0] == "tgw" and link.ns_a == ns and \
                            self.tgw_ns.get(tgw) == link.ns_b:
                        target = (link.dev_a, link.addr_b)
            if target is None and not pcx and not tgw:
                self.unmodelled.append((ns, route))
        out = []
        for d in dests:
            out += self._route_lines(table, d, target)
        return out

    def _far_end(self, key, ns):
        link = self.links[key]
        if link.ns_a == ns:
            return link.dev_a, link.addr_b
        return link.dev_b, link.addr_a

    def _install_tgw(self, tgw_id, ns, st):
        """Each attachment's packets are looked up in the route table associated with it
        (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-transit-gateways.html: "That route table
        decides the next hop for the traffic coming from that resource attachment")."""
        self._reset_routing(ns)
        lines, tables = [], set()
        rtbs = sorted((k, v) for k, v in st["tgw_rtbs"].items() if v["tgw"] == tgw_id)
        for i, (rid, r) in enumerate(rtbs):
            table = FIRST_TABLE + i
            tables.add(table)
            # A static route wins over a propagated one for the same CIDR (tgw-route-tables.html):
            # installed last with replace.
            for route in sorted(r["routes"], key=lambda x: x.get("Type") == "static"):
                target = None
                if route.get("State") == "active":
                    for a in route.get("TransitGatewayAttachments", []):
                        key = ("tgw", a.get("TransitGatewayAttachmentId"))
                        if key in self.links:
                            link = self.links[key]
                            target = (link.dev_b, link.addr_a)
                            break
                lines += self._route_lines(table, route["DestinationCidrBlock"], target)
            for att in r["associations"]:
                if ("tgw", att) in self.links:
                    dev = self.links[("tgw", att)].dev_b
                    lines.append(f"rule add priority {1000 + int(dev[2:])} iif {dev} "
                                 f"lookup {table}")
        # An attachment with no associated route table routes nothing.
        lines.append("rule add priority 32000 blackhole")
        _ip_batch(ns, lines)
        self.tables[ns] = tables

    # ---- hosts ----
    def host(self, subnet_id, security_groups=None, name=None):
        """A host with the next free address of the subnet (after the four AWS reserves:
        https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSubnet.html), in its own
        namespace joined to its VPC's. security_groups: ids whose rules filter its traffic
        (none: no filtering). Syncs first when the subnet is not known yet."""
        if self.state is None or subnet_id not in self.state["subnets"]:
            self.sync()
        if subnet_id not in self.state["subnets"]:
            raise DataPlaneError(f"subnet {subnet_id} is not in any modelled VPC")
        sub = self.state["subnets"][subnet_id]
        net = ipaddress.ip_network(sub["cidr"])
        used = {h.addr for h in self.hosts.values()}
        addr = next(str(a) for a in list(net.hosts())[3:] if str(a) not in used)
        gateway = str(net.network_address + 1)
        k = self._next()
        name = name or f"h{k}"
        ns = self._new_ns(name, forward=False)
        vns = self.vpc_ns[sub["vpc"]]
        dev = f"h{k}"
        _run(["ip", "link", "add", dev, "netns", vns, "type", "veth",
              "peer", "name", "eth0", "netns", ns])
        _ip_batch(vns, [f"addr add {gateway}/32 dev {dev}", f"link set {dev} up"])
        _ip_batch(ns, [f"addr add {addr}/32 dev eth0", "link set eth0 up",
                       f"route add {gateway}/32 dev eth0",
                       f"route add default via {gateway} dev eth0"])
        h = Host(name, ns, subnet_id, sub["vpc"], addr, gateway, dev, security_groups)
        self.hosts[name] = h
        self._install_vpc(sub["vpc"], vns, self.state)
        self._install_sg(h, self.state)
        return h

    def _drop_host(self, name):
        h = self.hosts.pop(name)
        for s in [s for s in self.services if s.host is h]:
            s.stop()
            self.services.remove(s)
        _run(["ip", "netns", "del", h.ns], check=False)

    def serve(self, host, port):
        s = Service(host, port)
        self.services.append(s)
        return s

    # ---- security groups ----
    def _install_sg(self, h, st):
        """A host's security groups as nftables rules in its namespace. Allow rules only; no
        inbound rule, no inbound traffic; stateful: the answers of an admitted connection pass
        whatever the rules of the other direction say, and connections already tracked survive a
        rule change
        (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html,
        https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html)."""
        if not h.security_groups:
            return
        ec2 = st["owner_client"][h.vpc_id]
        groups = ec2.describe_security_groups(GroupIds=h.security_groups)["SecurityGroups"]
        rin, rout = [], []
        for g in groups:
            for perm in g.get("IpPermissions", []):
                rin += self._nft_rules(perm, "saddr", ec2)
            for perm in g.get("IpPermissionsEgress", []):
                rout += self._nft_rules(perm, "daddr", ec2)
        body = [
            f"table inet {NFT_TABLE}",
            f"delete table inet {NFT_TABLE}",
            f"table inet {NFT_TABLE} {{",
            "  chain ingress {",
            "    type filter hook input priority 0; policy drop;",
            "    iif lo accept",
            "    ct state established,related accept",
            *[f"    {r} accept" for r in rin],
            "  }",
            "  chain egress {",
            "    type filter hook output priority 0; policy drop;",
            "    oif lo accept",
            "    ct state established,related accept",
            *[f"    {r} accept" for r in rout],
            "  }",
            "}",
        ]
        _run(["ip", "netns", "exec", h.ns, "nft", "-f", "-"], input="\n".join(body) + "\n")

    def _nft_rules(self, perm, side, ec2):
        v4 = [r["CidrIp"] for r in perm.get("IpRanges", [])]
        v6 = [r["CidrIpv6"] for r in perm.get("Ipv6Ranges", [])]
        for ref in perm.get("PrefixListIds", []):
            for c in self._prefix_list_cidrs(ec2, ref["PrefixListId"]):
                (v6 if ":" in c else v4).append(c)
        for pair in perm.get("UserIdGroupPairs", []):
            v4 += [h.addr for h in self.hosts.values() if pair.get("GroupId") in h.security_groups]
        proto = str(perm.get("IpProtocol", "-1"))
        proto = {"6": "tcp", "17": "udp", "1": "icmp"}.get(proto, proto)
        if proto == "-1":
            match = ""
        elif proto in ("tcp", "udp"):
            lo, hi = perm.get("FromPort", 0), perm.get("ToPort", 65535)
            ports = f"{lo}" if lo == hi else f"{lo}-{hi}"
            match = f"meta l4proto {proto} {proto} dport {ports}"
        elif proto == "icmp":
            match = "meta l4proto icmp"
        else:
            match = f"meta l4proto {proto}"
        out = []
        if v4:
            out.append(f"ip {side} {{ {', '.join(v4)} }} {match}".rstrip())
        if v6:
            out.append(f"ip6 {side} {{ {', '.join(v6)} }} {match}".rstrip())
        return out

    # ---- packets ----
    def connect(self, host, addr, port, timeout=1.0):
        """A TCP connect from host's namespace: "connected", "refused" (RST: reachable, nothing
        listens or a firewall rejects), "timeout" (dropped on the way: a route, a blackhole, a
        security group) or "unreachable" (the host's own table, or an ICMP error)."""
        def attempt():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(timeout)
            try:
                s.connect((addr, port))
                return "connected"
            except ConnectionRefusedError:
                return "refused"
            except (socket.timeout, TimeoutError):
                return "timeout"
            except OSError as e:
                if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
                    return "unreachable"
                raise
            finally:
                s.close()
        return in_netns(host.ns, attempt)

    def ip(self, ns, *args):
        """`ip -n ns ARGS` output (for a test's diagnostics)."""
        return _run(["ip", "-n", ns] + list(args)).stdout

