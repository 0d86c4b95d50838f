"""AWS Resource Access Manager (RAM), modelled in awsenv (moto's RAM has no principal
association by account id with invitations). REST-JSON API, service "ram".

Sources (AWS RAM API Reference, https://docs.aws.amazon.com/ram/latest/APIReference/):
- request paths and bodies: API_CreateResourceShare, API_AssociateResourceShare,
  API_DisassociateResourceShare, API_GetResourceShares, API_GetResourceShareAssociations,
  API_GetResourceShareInvitations, API_AcceptResourceShareInvitation,
  API_RejectResourceShareInvitation, API_ListResources (POST /<lowercased action>, JSON body).
- invitations: "If you specify an AWS account that doesn't exist in the same organization as
  the account that owns the resource share, the owner of the specified account receives an
  invitation to accept the resource share" (RAM API Reference, Welcome); inside the
  organization, once EnableSharingWithAwsOrganization has run, sharing needs no invitation
  (API_EnableSharingWithAwsOrganization; RAM User Guide "Enable resource sharing within AWS
  Organizations").
- errors: the exceptions of each action's "Errors" section (UnknownResourceException,
  MalformedArnException, InvalidParameterException, OperationNotPermittedException,
  ResourceShareInvitationArnNotFoundException, ResourceShareInvitationAlreadyAcceptedException,
  ResourceShareInvitationAlreadyRejectedException, ResourceShareLimitExceededException,
  InvalidNextTokenException, InvalidMaxResultsException).
- quotas: RAM User Guide, "Service quotas for AWS RAM" (ram-limits.html); the limits here are
  awsenv config keys so tests can set them low.
"""

import datetime as dt
import re
import threading
import uuid

ACTIONS = {
    "/createresourceshare": "CreateResourceShare",
    "/associateresourceshare": "AssociateResourceShare",
    "/disassociateresourceshare": "DisassociateResourceShare",
    "/getresourceshares": "GetResourceShares",
    "/getresourceshareassociations": "GetResourceShareAssociations",
    "/getresourceshareinvitations": "GetResourceShareInvitations",
    "/acceptresourceshareinvitation": "AcceptResourceShareInvitation",
    "/rejectresourceshareinvitation": "RejectResourceShareInvitation",
    "/listresources": "ListResources",
    "/enablesharingwithawsorganization": "EnableSharingWithAwsOrganization",
    "/deleteresourceshare": "DeleteResourceShare",  # DELETE, query string (tests/cfnsim)
}

ACCOUNT_RE = re.compile(r"^\d{12}$")
ORG_RE = re.compile(r"^arn:aws:organizations::(\d{12}):organization/(o-[a-z0-9]{10,32})$")
OU_RE = re.compile(r"^arn:aws:organizations::(\d{12}):ou/(o-[a-z0-9]{10,32})/(ou-[a-z0-9-]+)$")
ARN_RE = re.compile(r"^arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)$")
# The RAM resource type of an ARN's service:resource-type (API_ListResources resourceType).
TYPES = {("ec2", "transit-gateway"): "ec2:TransitGateway", ("ec2", "subnet"): "ec2:Subnet",
         ("ec2", "prefix-list"): "ec2:PrefixList"}


class RamError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


def now():
    return dt.datetime.now(dt.timezone.utc).timestamp()


def resource_type(arn):
    m = ARN_RE.match(arn)
    if not m:
        raise RamError("MalformedArnException", f"The format of ARN {arn!r} is not valid.")
    return TYPES.get((m.group(1), m.group(4).split("/")[0]), f"{m.group(1)}:Unknown")


class Ram:
    """All accounts' resource shares. Locked by its own lock; every answer is JSON-able."""

    def __init__(self, accounts_doc, config):
        self.accounts_doc = accounts_doc   # list of {"id", "organization"?, "ou"?}
        self.config = config               # callable -> awsenv config dict
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.shares = {}        # arn -> share dict
        self.invitations = {}   # arn -> invitation dict
        self.org_sharing = set()  # organization ids with EnableSharingWithAwsOrganization

    # ---------------- organizations (accounts.json "organization": "o-...", "ou") -------------
    def org_of(self, account):
        for a in self.accounts_doc:
            if a.get("id") == account:
                return a.get("organization")
        return None

    def ou_of(self, account):
        for a in self.accounts_doc:
            if a.get("id") == account:
                return a.get("ou")
        return None

    def accounts_of(self, principal):
        """The account ids a principal stands for."""
        if ACCOUNT_RE.match(principal):
            return [principal]
        m = ORG_RE.match(principal)
        if m:
            return [a["id"] for a in self.accounts_doc if a.get("organization") == m.group(2)]
        m = OU_RE.match(principal)
        if m:
            return [a["id"] for a in self.accounts_doc
                    if a.get("organization") == m.group(2) and a.get("ou") == m.group(3)]
        raise RamError("MalformedArnException" if principal.startswith("arn:")
                       else "InvalidParameterException",
                       f"The principal {principal!r} is neither a 12-digit account id nor an "
                       "organization or OU ARN.")

    # ---------------- queries used by tgw.py ----------------
    def shared_with(self, account, resource_arn):
        """True when resource_arn is in an ACTIVE share whose principal association for
        account (directly or through its organization/OU) is ASSOCIATED."""
        with self.lock:
            for s in self.shares.values():
                if s["status"] != "ACTIVE" or s["resources"].get(resource_arn) != "ASSOCIATED":
                    continue
                if s["principals"].get(account) == "ASSOCIATED":
                    return True  # the common case, without a walk over every principal
                for p, st in s["principals"].items():
                    if ACCOUNT_RE.match(p):
                        continue  # another account
                    if st == "ASSOCIATED" and account in self.principal_accounts(s, p):
                        return True
        return False

    def principal_accounts(self, share, p):
        # an account principal is ASSOCIATED only once accepted or auto-accepted (add())
        return [p] if ACCOUNT_RE.match(p) else self.accounts_of(p)

    # ---------------- the API ----------------
    def handle(self, action, account, region, doc):
        if not isinstance(doc, dict):
            raise RamError("InvalidParameterException", "The request body is not a JSON object.")
        fn = getattr(self, "op_" + action, None)
        if fn is None:
            raise RamError("UnknownOperationException", f"Unknown operation {action}", 404)
        with self.lock:
            return fn(account, region, doc)

    def share(self, arn, account, region, owner_only=True):
        if not isinstance(arn, str) or not arn.startswith("arn:aws:ram:"):
            raise RamError("MalformedArnException", f"The format of ARN {arn!r} is not valid.")
        s = self.shares.get(arn)
        if s is None or s["region"] != region or (owner_only and s["owner"] != account):
            raise RamError("UnknownResourceException",
                           f"ResourceShare {arn} could not be found.")
        return s

    def view(self, s):
        return {"resourceShareArn": s["arn"], "name": s["name"], "owningAccountId": s["owner"],
                "allowExternalPrincipals": s["external"], "status": s["status"],
                "tags": s["tags"], "creationTime": s["created"], "lastUpdatedTime": s["updated"],
                "featureSet": "STANDARD"}

    def assoc(self, s, entity, kind, status):
        return {"resourceShareArn": s["arn"], "resourceShareName": s["name"],
                "associatedEntity": entity, "associationType": kind, "status": status,
                "creationTime": s["created"], "lastUpdatedTime": s["updated"],
                "external": kind == "PRINCIPAL" and bool(ACCOUNT_RE.match(entity))
                and not self.same_org(s["owner"], entity)}

    def same_org(self, a, b):
        o = self.org_of(a)
        return o is not None and o == self.org_of(b)

    def add(self, s, principals, resources, account, region):
        principals = principals or []
        resources = resources or []
        if not isinstance(principals, list) or not isinstance(resources, list):
            raise RamError("InvalidParameterException", "principals and resourceArns are lists.")
        for r in resources:
            resource_type(r)
            m = ARN_RE.match(r)
            # A resource share holds only the owner's resources of its own Region
            # (RAM User Guide, "Sharing your AWS resources": "You can share only resources
            # that you own" and resource shares are Regional).
            if m.group(3) != account or (m.group(2) and m.group(2) != region):
                raise RamError("UnknownResourceException",
                               f"Resource {r} could not be found in account {account} "
                               f"region {region}.")
        for p in principals:
            self.accounts_of(p)  # refuses what is neither an account nor an org/OU ARN
            if ACCOUNT_RE.match(p) and p == account:
                raise RamError("InvalidParameterException",
                               f"The principal {p} is the resource share's owner.")
            if not ACCOUNT_RE.match(p):
                # Organization/OU principals need sharing enabled in the owner's own
                # organization (API_EnableSharingWithAwsOrganization).
                org = self.org_of(account)
                if org is None or org not in self.org_sharing or org not in p:
                    raise RamError("OperationNotPermittedException",
                                   f"The principal {p} is not in the organization of account "
                                   f"{account} with sharing enabled.")
            elif not s["external"] and not self.same_org(account, p):
                # allowExternalPrincipals false: only principals inside the organization
                # (API_CreateResourceShare, allowExternalPrincipals).
                raise RamError("OperationNotPermittedException",
                               f"The resource share {s['arn']} does not allow external "
                               f"principals; account {p} is outside the organization.")
        limit = int(self.config().get("ram_max_principals_per_share", 5000))
        new = [p for p in principals if p not in s["principals"]]
        if len(s["principals"]) + len(new) > limit:
            raise RamError("ResourceShareLimitExceededException",
                           f"The resource share {s['arn']} would have more than {limit} "
                           "principals.")
        out = []
        t = now()
        for r in resources:
            s["resources"][r] = "ASSOCIATED"
            out.append(self.assoc(s, r, "RESOURCE", "ASSOCIATED"))
        for p in new:
            org = self.org_of(account)
            if ACCOUNT_RE.match(p) and not (self.same_org(account, p) and org in self.org_sharing):
                # outside the organization (or sharing not enabled): an invitation; the
                # principal association stays ASSOCIATING until the receiver accepts.
                s["principals"][p] = "ASSOCIATING"
                inv = f"arn:aws:ram:{region}:{account}:resource-share-invitation/{uuid.uuid4()}"
                self.invitations[inv] = {"arn": inv, "share": s["arn"], "sender": account,
                                         "receiver": p, "status": "PENDING", "time": t,
                                         "region": region}
            else:
                if ACCOUNT_RE.match(p):
                    s["auto"].add(p)
                s["principals"][p] = "ASSOCIATED"
            out.append(self.assoc(s, p, "PRINCIPAL", s["principals"][p]))
        for p in principals:
            if p not in new:
                out.append(self.assoc(s, p, "PRINCIPAL", s["principals"][p]))
        s["updated"] = t
        return out

    def op_EnableSharingWithAwsOrganization(self, account, region, doc):
        org = self.org_of(account)
        if org is None:
            raise RamError("OperationNotPermittedException",
                           f"Account {account} is not in an organization.")
        self.org_sharing.add(org)
        return {"returnValue": True}

    def op_CreateResourceShare(self, account, region, doc):
        name = doc.get("name")
        if not isinstance(name, str) or not name:
            raise RamError("InvalidParameterException", "name is required.")
        owned = [s for s in self.shares.values() if s["owner"] == account and s["region"] == region
                 and s["status"] == "ACTIVE"]
        limit = int(self.config().get("ram_max_shares_per_account", 5000))
        if len(owned) >= limit:
            raise RamError("ResourceShareLimitExceededException",
                           f"Account {account} already has {limit} resource shares in {region}.")
        arn = f"arn:aws:ram:{region}:{account}:resource-share/{uuid.uuid4()}"
        t = now()
        s = {"arn": arn, "name": name, "owner": account, "region": region,
             "external": bool(doc.get("allowExternalPrincipals", True)), "status": "ACTIVE",
             "tags": doc.get("tags") or [], "created": t, "updated": t, "principals": {},
             "resources": {}, "accepted": {}, "auto": set()}
        self.add(s, doc.get("principals"), doc.get("resourceArns"), account, region)
        self.shares[arn] = s
        out = {"resourceShare": self.view(s)}
        if doc.get("clientToken"):
            out["clientToken"] = doc["clientToken"]
        return out

    def op_AssociateResourceShare(self, account, region, doc):
        s = self.share(doc.get("resourceShareArn"), account, region)
        return {"resourceShareAssociations": self.add(s, doc.get("principals"),
                                                      doc.get("resourceArns"), account, region)}

    def op_DisassociateResourceShare(self, account, region, doc):
        s = self.share(doc.get("resourceShareArn"), account, region)
        out = []
        for r in doc.get("resourceArns") or []:
            if r not in s["resources"]:
                raise RamError("UnknownResourceException",
                               f"Resource {r} is not associated with {s['arn']}.")
        for p in doc.get("principals") or []:
            if p not in s["principals"]:
                raise RamError("UnknownResourceException",
                               f"Principal {p} is not associated with {s['arn']}.")
        for r in doc.get("resourceArns") or []:
            del s["resources"][r]
            out.append(self.assoc(s, r, "RESOURCE", "DISASSOCIATED"))
        for p in doc.get("principals") or []:
            del s["principals"][p]
            s["accepted"].pop(p, None)
            s["auto"].discard(p)
            for inv in self.invitations.values():
                if inv["share"] == s["arn"] and inv["receiver"] == p and inv["status"] == "PENDING":
                    inv["status"] = "EXPIRED"
            out.append(self.assoc(s, p, "PRINCIPAL", "DISASSOCIATED"))
        s["updated"] = now()
        return {"resourceShareAssociations": out}

    def op_DeleteResourceShare(self, account, region, doc):
        """API_DeleteResourceShare (DELETE /deleteresourceshare?resourceShareArn=...): the
        owner deletes the share; it stays listed with status DELETED and shares nothing
        (cfnsim deletes templates/hub-tgw.yaml's AWS::RAM::ResourceShare with it)."""
        s = self.share(doc.get("resourceShareArn"), account, region)
        if s["status"] != "ACTIVE":
            raise RamError("UnknownResourceException", f"ResourceShare {s['arn']} could not be found.")
        s["status"], s["updated"] = "DELETED", now()
        for inv in self.invitations.values():
            if inv["share"] == s["arn"] and inv["status"] == "PENDING":
                inv["status"] = "EXPIRED"
        out = {"returnValue": True}
        if doc.get("clientToken"):
            out["clientToken"] = doc["clientToken"]
        return out

    def page(self, items, doc, key):
        mx = doc.get("maxResults")
        if mx is not None and (not isinstance(mx, int) or not 1 <= mx <= 500):
            raise RamError("InvalidMaxResultsException",
                           f"maxResults {mx!r} is not between 1 and 500.")
        start = 0
        tok = doc.get("nextToken")
        if tok is not None:
            if not isinstance(tok, str) or not tok.startswith("t") or not tok[1:].isdigit() \
                    or int(tok[1:]) > len(items):
                raise RamError("InvalidNextTokenException", f"The token {tok!r} is not valid.")
            start = int(tok[1:])
        end = len(items) if mx is None else start + mx
        out = {key: items[start:end]}
        if end < len(items):
            out["nextToken"] = f"t{end}"
        return out

    def visible(self, s, account):
        """A share the account receives (principal association ASSOCIATED for it)."""
        return any(st == "ASSOCIATED" and account in self.principal_accounts(s, p)
                   for p, st in s["principals"].items())

    def op_GetResourceShares(self, account, region, doc):
        owner = doc.get("resourceOwner")
        if owner not in ("SELF", "OTHER-ACCOUNTS"):
            raise RamError("InvalidParameterException",
                           f"resourceOwner {owner!r} must be SELF or OTHER-ACCOUNTS.")
        arns = doc.get("resourceShareArns")
        items = []
        for s in self.shares.values():
            if s["region"] != region:
                continue
            if owner == "SELF" and s["owner"] != account:
                continue
            if owner == "OTHER-ACCOUNTS" and (s["owner"] == account or not self.visible(s, account)):
                continue
            if arns and s["arn"] not in arns:
                continue
            if doc.get("name") and s["name"] != doc["name"]:
                continue
            if doc.get("resourceShareStatus") and s["status"] != doc["resourceShareStatus"]:
                continue
            items.append(self.view(s))
        return self.page(items, doc, "resourceShares")

    def op_GetResourceShareAssociations(self, account, region, doc):
        kind = doc.get("associationType")
        if kind not in ("PRINCIPAL", "RESOURCE"):
            raise RamError("InvalidParameterException",
                           f"associationType {kind!r} must be PRINCIPAL or RESOURCE.")
        items = []
        for s in self.shares.values():
            if s["region"] != region or s["owner"] != account:
                continue
            if doc.get("resourceShareArns") and s["arn"] not in doc["resourceShareArns"]:
                continue
            entries = s["principals"] if kind == "PRINCIPAL" else s["resources"]
            for e, st in entries.items():
                if doc.get("principal") and e != doc["principal"]:
                    continue
                if doc.get("resourceArn") and e != doc["resourceArn"]:
                    continue
                if doc.get("associationStatus") and st != doc["associationStatus"]:
                    continue
                items.append(self.assoc(s, e, kind, st))
        return self.page(items, doc, "resourceShareAssociations")

    def inv_view(self, inv):
        s = self.shares.get(inv["share"])
        return {"resourceShareInvitationArn": inv["arn"],
                "resourceShareName": s["name"] if s else "",
                "resourceShareArn": inv["share"], "senderAccountId": inv["sender"],
                "receiverAccountId": inv["receiver"], "invitationTimestamp": inv["time"],
                "status": inv["status"]}

    def op_GetResourceShareInvitations(self, account, region, doc):
        items = [self.inv_view(i) for i in self.invitations.values()
                 if i["receiver"] == account and i["region"] == region
                 and (not doc.get("resourceShareInvitationArns")
                      or i["arn"] in doc["resourceShareInvitationArns"])
                 and (not doc.get("resourceShareArns") or i["share"] in doc["resourceShareArns"])]
        return self.page(items, doc, "resourceShareInvitations")

    def invitation(self, account, region, doc):
        arn = doc.get("resourceShareInvitationArn")
        if not isinstance(arn, str) or not arn.startswith("arn:aws:ram:"):
            raise RamError("MalformedArnException", f"The format of ARN {arn!r} is not valid.")
        inv = self.invitations.get(arn)
        # Only the receiver sees (and answers) an invitation.
        if inv is None or inv["receiver"] != account or inv["region"] != region:
            raise RamError("ResourceShareInvitationArnNotFoundException",
                           f"ResourceShareInvitation {arn} could not be found.")
        if inv["status"] == "ACCEPTED":
            raise RamError("ResourceShareInvitationAlreadyAcceptedException",
                           f"The invitation {arn} has already been accepted.")
        if inv["status"] == "REJECTED":
            raise RamError("ResourceShareInvitationAlreadyRejectedException",
                           f"The invitation {arn} has already been rejected.")
        if inv["status"] == "EXPIRED":
            raise RamError("ResourceShareInvitationExpiredException",
                           f"The invitation {arn} has expired.")
        return inv

    def op_AcceptResourceShareInvitation(self, account, region, doc):
        inv = self.invitation(account, region, doc)
        inv["status"] = "ACCEPTED"
        s = self.shares.get(inv["share"])
        if s is not None and inv["receiver"] in s["principals"]:
            s["principals"][inv["receiver"]] = "ASSOCIATED"
            s["accepted"][inv["receiver"]] = True
        return {"resourceShareInvitation": self.inv_view(inv)}

    def op_RejectResourceShareInvitation(self, account, region, doc):
        inv = self.invitation(account, region, doc)
        inv["status"] = "REJECTED"
        s = self.shares.get(inv["share"])
        if s is not None and inv["receiver"] in s["principals"]:
            s["principals"][inv["receiver"]] = "FAILED"
        return {"resourceShareInvitation": self.inv_view(inv)}

    def op_ListResources(self, account, region, doc):
        owner = doc.get("resourceOwner")
        if owner not in ("SELF", "OTHER-ACCOUNTS"):
            raise RamError("InvalidParameterException",
                           f"resourceOwner {owner!r} must be SELF or OTHER-ACCOUNTS.")
        items = []
        for s in self.shares.values():
            if s["region"] != region or s["status"] != "ACTIVE":
                continue
            if owner == "SELF" and s["owner"] != account:
                continue
            if owner == "OTHER-ACCOUNTS" and (s["owner"] == account or not self.visible(s, account)):
                continue
            if doc.get("resourceShareArns") and s["arn"] not in doc["resourceShareArns"]:
                continue
            for r, st in s["resources"].items():
                if doc.get("resourceArns") and r not in doc["resourceArns"]:
                    continue
                if doc.get("resourceType") and resource_type(r) != doc["resourceType"]:
                    continue
                items.append({"arn": r, "type": resource_type(r), "resourceShareArn": s["arn"],
                              "status": "AVAILABLE", "creationTime": s["created"],
                              "lastUpdatedTime": s["updated"], "resourceRegionScope": "REGIONAL"})
        return self.page(items, doc, "resources")
