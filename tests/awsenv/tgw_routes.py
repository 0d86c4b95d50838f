"""awsenv: transit gateway route tables and their routes (tgw.py's RouteTables part).

Association, propagation, static and blackhole routes, SearchTransitGatewayRoutes and the
routes quota; the errors and helpers tgw.py shares. The rules cite the pages listed in tgw.py's
docstring ([TGW-RT], [TGW-SEARCH], [TGW-QUOTA], [EC2ERR]). Runs under Moto.lock, so no lock.
"""

import datetime as dt
import ipaddress
import random

from peering import PeeringError

LIVE = ("pendingAcceptance", "pending", "available", "modifying")  # counts, blocks a duplicate


class TgwError(PeeringError):
    def __init__(self, code, message, status=400):
        super().__init__(code, message)
        self.status = status


def _now():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _hex():
    return "%017x" % random.getrandbits(68)


def _net(cidr, what="DestinationCidrBlock"):
    try:
        return ipaddress.ip_network(cidr, strict=True)
    except (ValueError, TypeError):
        raise TgwError("InvalidParameterValue",
                       f"Value ({cidr}) for parameter {what} is invalid: give a CIDR block "
                       "such as 10.1.0.0/16 (host bits zero).")


def _tags(specs, kind):
    out = []
    for s in specs or []:
        if s.get("ResourceType") == kind:
            out += [{"Key": t.get("Key", ""), "Value": t.get("Value", "")} for t in s.get("Tags", [])]
    return out


def _nf_att(i):
    return TgwError("InvalidTransitGatewayAttachmentID.NotFound",
                    f"Transit Gateway Attachment {i} was deleted or does not exist.")


def _nf_rtb(i):
    return TgwError("InvalidRouteTableID.NotFound",
                    f"Transit Gateway Route Table {i} was deleted or does not exist.")


class Table:
    def __init__(self, gw, tags, default=False):
        self.id = "tgw-rtb-" + _hex()
        self.gw, self.tags, self.default = gw, tags, default
        self.state, self.created = "available", _now()
        self.assoc = set()     # attachment ids associated
        self.props = set()     # attachment ids propagating
        self.static = {}       # cidr -> attachment id, or None for a blackhole route
        self.by_att = {}       # attachment id -> set of static cidrs (for search by attachment)

    def view(self):
        o = self.gw.options
        return {"TransitGatewayRouteTableId": self.id, "TransitGatewayId": self.gw.id,
                "State": self.state, "CreationTime": self.created, "Tags": self.tags,
                "DefaultAssociationRouteTable": o.get("AssociationDefaultRouteTableId") == self.id,
                "DefaultPropagationRouteTable": o.get("PropagationDefaultRouteTableId") == self.id}


class RouteTables:
    """The route-table actions, mixed into tgw.Tgw (which has atts, tables, table(), att(),
    config)."""

    # ---------------- route tables ----------------
    def new_table(self, g, tags):
        t = Table(g, tags)
        g.tables[t.id] = t
        self.tables[t.id] = t
        return t

    def op_CreateTransitGatewayRouteTable(self, req, account, region):
        g = self.own_gw(req.get("TransitGatewayId"), account, region)
        t = self.new_table(g, _tags(req.get("TagSpecifications"), "transit-gateway-route-table"))
        return {"TransitGatewayRouteTable": t.view()}

    def op_DeleteTransitGatewayRouteTable(self, req, account, region):
        t = self.table(req.get("TransitGatewayRouteTableId"), account, region)
        if t.assoc or t.props:
            raise TgwError("IncorrectState", f"Transit Gateway Route Table {t.id} has "
                           "associations or propagations: remove them first.")
        t.state = "deleted"
        t.gw.static -= len(t.static)
        t.static, t.by_att = {}, {}
        del t.gw.tables[t.id]
        return {"TransitGatewayRouteTable": t.view()}

    def op_DescribeTransitGatewayRouteTables(self, req, account, region):
        ids = req.get("TransitGatewayRouteTableIds") or []
        if ids:
            ts = [self.table(i, account, region) for i in ids]
        else:
            ts = [t for t in self.tables.values() if t.gw.owner == account
                  and t.gw.region == region and t.state != "deleted"]
        ts = self.filtered(ts, req, {
            "transit-gateway-route-table-id": lambda t: [t.id],
            "transit-gateway-id": lambda t: [t.gw.id], "state": lambda t: [t.state],
            "default-association-route-table":
                lambda t: [str(t.view()["DefaultAssociationRouteTable"]).lower()],
            "default-propagation-route-table":
                lambda t: [str(t.view()["DefaultPropagationRouteTable"]).lower()]},
            lambda t: t.tags)
        return self.page([t.view() for t in ts], req, "TransitGatewayRouteTables")

    def table_and_att(self, req, account, region):
        t = self.table(req.get("TransitGatewayRouteTableId"), account, region)
        a = self.att(req.get("TransitGatewayAttachmentId"), account, region)
        if a.gw is not t.gw:
            raise TgwError("InvalidParameterValue", f"{a.id} is an attachment of {a.gw.id}, "
                           f"not of {t.gw.id} whose route table {t.id} is.")
        return t, a

    def op_AssociateTransitGatewayRouteTable(self, req, account, region):
        t, a = self.table_and_att(req, account, region)
        if a.state != "available":
            raise TgwError("IncorrectState", f"{a.id} is in invalid state {a.state}.")
        if a.assoc:  # [TGW-RT] one route table per attachment
            raise TgwError("Resource.AlreadyAssociated",
                           f"Transit Gateway Attachment {a.id} is already associated to a route "
                           "table.")
        t.assoc.add(a.id)
        a.assoc = t.id
        return {"Association": dict(a.ref(), TransitGatewayRouteTableId=t.id, State="associated")}

    def op_DisassociateTransitGatewayRouteTable(self, req, account, region):
        t, a = self.table_and_att(req, account, region)
        if a.assoc != t.id:  # (code ours)
            raise TgwError("InvalidAssociation.NotFound",
                           f"{a.id} is not associated with {t.id}.")
        t.assoc.discard(a.id)
        a.assoc = None
        return {"Association": dict(a.ref(), TransitGatewayRouteTableId=t.id,
                                    State="disassociated")}

    def op_EnableTransitGatewayRouteTablePropagation(self, req, account, region):
        t, a = self.table_and_att(req, account, region)
        if a.state != "available":
            raise TgwError("IncorrectState", f"{a.id} is in invalid state {a.state}.")
        if a.id in t.props:  # (code ours)
            raise TgwError("TransitGatewayRouteTablePropagation.Duplicate",
                           f"{a.id} already propagates to {t.id}.")
        self.check_route_quota(t.gw, len(a.cidrs))
        self.propagate(t, a)
        return {"Propagation": dict(a.ref(), TransitGatewayRouteTableId=t.id, State="enabled")}

    def op_DisableTransitGatewayRouteTablePropagation(self, req, account, region):
        t, a = self.table_and_att(req, account, region)
        if a.id not in t.props:  # (code ours)
            raise TgwError("InvalidParameterValue", f"{a.id} does not propagate to {t.id}.")
        self.unpropagate(t, a)
        return {"Propagation": dict(a.ref(), TransitGatewayRouteTableId=t.id, State="disabled")}

    def op_GetTransitGatewayRouteTableAssociations(self, req, account, region):
        t = self.table(req.get("TransitGatewayRouteTableId"), account, region)
        atts = self.filtered(sorted((self.atts[i] for i in t.assoc), key=lambda a: (a.created, a.id)),
                             req, {"transit-gateway-attachment-id": lambda a: [a.id],
                                   "resource-id": lambda a: [a.vpc_id],
                                   "resource-type": lambda a: ["vpc"]}, None)
        return self.page([dict(a.ref(), State="associated") for a in atts], req, "Associations")

    def op_GetTransitGatewayRouteTablePropagations(self, req, account, region):
        t = self.table(req.get("TransitGatewayRouteTableId"), account, region)
        atts = self.filtered(sorted((self.atts[i] for i in t.props), key=lambda a: (a.created, a.id)),
                             req, {"transit-gateway-attachment-id": lambda a: [a.id],
                                   "resource-id": lambda a: [a.vpc_id],
                                   "resource-type": lambda a: ["vpc"]}, None)
        return self.page([dict(a.ref(), State="enabled") for a in atts], req,
                         "TransitGatewayRouteTablePropagations")

    # ---------------- routes ----------------
    @staticmethod
    def propagate(t, a):
        """a's VPC CIDRs become propagated routes of t (a counter per transit gateway keeps
        the routes quota check O(1))."""
        t.props.add(a.id)
        a.props.add(t.id)
        t.gw.propagated += len(a.cidrs)

    @staticmethod
    def unpropagate(t, a):
        t.props.discard(a.id)
        a.props.discard(t.id)
        t.gw.propagated -= len(a.cidrs)

    def check_route_quota(self, g, adding):
        limit = int(self.config().get("tgw_max_routes_per_tgw", 10000))
        if g.static + g.propagated + adding > limit:  # [TGW-QUOTA] (code ours)
            raise TgwError("TransitGatewayRouteLimitExceeded",
                           f"Transit Gateway {g.id} would have more than {limit} routes across "
                           "its route tables (quota 'Total combined routes (dynamic and static) "
                           "across all route tables for a single transit gateway'; raise it in "
                           "Service Quotas).")

    def route_target(self, req, t, account, region):
        att_id = req.get("TransitGatewayAttachmentId")
        if req.get("Blackhole"):
            if att_id:
                raise TgwError("InvalidParameterCombination",
                               "Give either TransitGatewayAttachmentId or Blackhole, not both.")
            return None
        if not att_id:
            raise TgwError("MissingParameter", "The request must contain the parameter "
                           "TransitGatewayAttachmentId (or Blackhole true).")
        a = self.att(att_id, account, region)
        if a.gw is not t.gw or a.state not in LIVE:
            raise TgwError("InvalidParameterValue", f"{a.id} is not a live attachment of "
                           f"{t.gw.id}.")
        return a.id

    def op_CreateTransitGatewayRoute(self, req, account, region):
        t = self.table(req.get("TransitGatewayRouteTableId"), account, region)
        cidr = str(_net(req.get("DestinationCidrBlock")))
        target = self.route_target(req, t, account, region)
        if cidr in t.static:
            raise TgwError("RouteAlreadyExists", f"Route {cidr} already exists in Transit "
                           f"Gateway Route Table {t.id}.")
        self.check_route_quota(t.gw, 1)
        t.static[cidr] = target
        t.gw.static += 1
        if target:
            t.by_att.setdefault(target, set()).add(cidr)
        return {"Route": self.route_view(cidr, target, "static")}

    def op_ReplaceTransitGatewayRoute(self, req, account, region):
        t = self.table(req.get("TransitGatewayRouteTableId"), account, region)
        cidr = str(_net(req.get("DestinationCidrBlock")))
        if cidr not in t.static:
            raise TgwError("InvalidRoute.NotFound", f"No route with destination-cidr-block "
                           f"{cidr} in Transit Gateway Route Table {t.id}.")
        target = self.route_target(req, t, account, region)
        self.drop_static(t, cidr)
        t.static[cidr] = target
        t.gw.static += 1
        if target:
            t.by_att.setdefault(target, set()).add(cidr)
        return {"Route": self.route_view(cidr, target, "static")}

    def op_DeleteTransitGatewayRoute(self, req, account, region):
        t = self.table(req.get("TransitGatewayRouteTableId"), account, region)
        cidr = str(_net(req.get("DestinationCidrBlock")))
        if cidr not in t.static:
            raise TgwError("InvalidRoute.NotFound", f"No route with destination-cidr-block "
                           f"{cidr} in Transit Gateway Route Table {t.id}.")
        target = self.drop_static(t, cidr)
        view = self.route_view(cidr, target, "static")
        view["State"] = "deleted"
        return {"Route": view}

    def drop_static(self, t, cidr):
        target = t.static.pop(cidr)
        t.gw.static -= 1
        if target:
            t.by_att.get(target, set()).discard(cidr)
        return target

    def route_view(self, cidr, att_id, kind):
        a = self.atts.get(att_id) if att_id else None
        d = {"DestinationCidrBlock": cidr, "Type": kind,
             "State": "active" if a is not None and a.state == "available" else "blackhole"}
        if a is not None:
            d["TransitGatewayAttachments"] = [a.ref()]
        return d

    def routes_of(self, t, cidr=None, att_id=None):
        """(cidr, attachment id or None, type) of a table: static, and propagated CIDRs of its
        available propagating attachments (a static route wins over a propagated one)."""
        if cidr is not None:
            statics = [(cidr, t.static[cidr])] if cidr in t.static else []
        elif att_id is not None:
            statics = [(c, att_id) for c in sorted(t.by_att.get(att_id, ()))]
        else:
            statics = list(t.static.items())
        out = [(c, x, "static") for c, x in statics]
        for i in t.props:
            a = self.atts[i]
            if a.state != "available" or (att_id is not None and i != att_id):
                continue
            for c in a.cidrs:
                if (cidr is None or c == cidr) and c not in t.static:
                    out.append((c, i, "propagated"))
        return out

    def op_SearchTransitGatewayRoutes(self, req, account, region):  # [TGW-SEARCH]
        t = self.table(req.get("TransitGatewayRouteTableId"), account, region)
        filters = req.get("Filters")
        if not filters:
            raise TgwError("MissingParameter", "The request must contain the parameter Filter "
                           "(SearchTransitGatewayRoutes searches with filters, e.g. "
                           "route-search.exact-match or type).")
        mx = req.get("MaxResults", 1000)
        if not 5 <= mx <= 1000:
            raise TgwError("InvalidParameterValue", f"Value ({mx}) for parameter MaxResults is "
                           "invalid. Expecting a value between 5 and 1000.")
        f = {}
        for x in filters:
            f.setdefault(x.get("Name"), []).extend(x.get("Values") or [])
        known = {"attachment.transit-gateway-attachment-id", "attachment.resource-id",
                 "attachment.resource-type", "prefix-list-id", "route-search.exact-match",
                 "route-search.longest-prefix-match", "route-search.subnet-of-match",
                 "route-search.supernet-of-match", "state", "type"}
        for name in f:
            if name not in known:
                raise TgwError("InvalidParameterValue", f"The filter '{name}' is invalid")
        if "prefix-list-id" in f:
            return {"Routes": [], "AdditionalRoutesAvailable": False}  # no prefix-list routes
        exact = f.get("route-search.exact-match")
        atts = f.get("attachment.transit-gateway-attachment-id")
        if exact and len(exact) == 1:
            cand = self.routes_of(t, cidr=str(_net(exact[0], "route-search.exact-match")))
        elif atts and len(atts) == 1:
            cand = self.routes_of(t, att_id=atts[0])
        else:
            cand = self.routes_of(t)
        out = []
        for c, x, kind in cand:
            view = self.route_view(c, x, kind)
            if not self.route_matches(f, c, x, view):
                continue
            out.append(view)
        if "route-search.longest-prefix-match" in f and out:
            best = max(ipaddress.ip_network(v["DestinationCidrBlock"]).prefixlen for v in out)
            out = [v for v in out if ipaddress.ip_network(v["DestinationCidrBlock"]).prefixlen
                   == best]
        out.sort(key=lambda v: (ipaddress.ip_network(v["DestinationCidrBlock"]).version,
                                ipaddress.ip_network(v["DestinationCidrBlock"])))
        return {"Routes": out[:mx], "AdditionalRoutesAvailable": len(out) > mx}

    def route_matches(self, f, cidr, att_id, view):
        net = ipaddress.ip_network(cidr)
        a = self.atts.get(att_id) if att_id else None

        def any_of(name, fn):
            return name not in f or any(fn(v) for v in f[name])

        def nets(v, name):
            n = _net(v, name)
            return n.version == net.version and n

        return (any_of("type", lambda v: v == view["Type"])
                and any_of("state", lambda v: v == view["State"])
                and any_of("attachment.transit-gateway-attachment-id", lambda v: v == att_id)
                and any_of("attachment.resource-id", lambda v: a is not None and v == a.vpc_id)
                and any_of("attachment.resource-type", lambda v: a is not None and v == "vpc")
                and any_of("route-search.exact-match",
                           lambda v: str(_net(v, "route-search.exact-match")) == cidr)
                and any_of("route-search.subnet-of-match",
                           lambda v: bool(nets(v, "route-search.subnet-of-match"))
                           and net.subnet_of(_net(v, "route-search.subnet-of-match")))
                and any_of("route-search.supernet-of-match",
                           lambda v: bool(nets(v, "route-search.supernet-of-match"))
                           and net.supernet_of(_net(v, "route-search.supernet-of-match")))
                and any_of("route-search.longest-prefix-match",
                           lambda v: bool(nets(v, "route-search.longest-prefix-match"))
                           and net.supernet_of(_net(v, "route-search.longest-prefix-match"))))

    # ---------------- filters, pages ----------------
    @staticmethod
    def filtered(items, req, table, tags_of):
        for f in req.get("Filters") or []:
            name, values = f.get("Name", ""), f.get("Values") or []
            if name in table:
                fn = table[name]
                items = [x for x in items if any(v in values for v in fn(x))]
            elif name.startswith("tag:") and tags_of is not None:
                k = name[4:]
                items = [x for x in items
                         if any(t["Key"] == k and t["Value"] in values for t in tags_of(x))]
            elif name == "tag-key" and tags_of is not None:
                items = [x for x in items if any(t["Key"] in values for t in tags_of(x))]
            else:
                raise TgwError("InvalidParameterValue", f"The filter '{name}' is invalid")
        return items

    @staticmethod
    def page(views, req, key):
        mx = req.get("MaxResults")
        if mx is not None and not 5 <= mx <= 1000:
            raise TgwError("InvalidParameterValue", f"Value ({mx}) for parameter MaxResults is "
                           "invalid. Expecting a value between 5 and 1000.")
        start = 0
        tok = req.get("NextToken")
        if tok:
            if not tok.startswith("awsenv-") or not tok[7:].isdigit():
                raise TgwError("InvalidNextToken", f"The token '{tok}' is invalid.")
            start = int(tok[7:])
        end = len(views) if mx is None else start + mx
        out = {key: views[start:end]}
        if end < len(views):
            out["NextToken"] = f"awsenv-{end}"
        return out
