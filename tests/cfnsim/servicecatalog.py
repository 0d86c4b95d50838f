# SPDX-License-Identifier: Apache-2.0
"""A small Service Catalog for cfnsim (issue 15): moto has no Service Catalog provisioning.

What templates/catalog.yaml creates is recorded here with AWS's validation rules (each cited
where it is checked), and a product launch is **played**: `Catalog.provision()` does what
Service Catalog does on ProvisionProduct (the launcher may use the portfolio, the product's
launch constraint names the role, the template constraint's rules hold), then cfnsim
deploys the product's template in the launcher's account as the launch role: every call the
stack makes is judged against that role's own policies (cfnsim_iam.py), never the
launcher's. Not modelled: TagOptions, StackSet/notification/resource-update constraints,
provisioned-product updates, organization shares (docs/deploy.md: the management account's
API), AcceptLanguage other than en.
"""

import json
import re
import threading
import uuid

import cfnsim_iam
import rules as rules_mod

DOC = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"


class ScError(Exception):
    """A Service Catalog refusal: code and message as the API gives them."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


def _id(prefix):
    # Service Catalog ids: a prefix and 13 lower-case alphanumerics (port-, prod-, pa-, cons-).
    return prefix + uuid.uuid4().hex[:13]


def _length(name, value, lo, hi):
    if not isinstance(value, str) or not lo <= len(value) <= hi:
        raise ScError("InvalidParametersException",
                      f"{name} must be a string of {lo} to {hi} characters, not {value!r}")


def _no_value_of(name, attr):
    raise rules_mod.RuleError(f"Fn::ValueOf({name}, {attr}) in a template constraint is not modelled")


class Catalog:
    def __init__(self):
        self.lock = threading.Lock()
        self.portfolios = {}      # id -> {account, name, provider, products:set, shares:set}
        self.products = {}        # id -> {account, name, owner, artifacts:[{id,name,url}]}
        self.constraints = {}     # id -> {account, type, portfolio, product, params}
        self.imported = set()     # (account, portfolio): AcceptPortfolioShare done
        self.principals = {}      # (account, portfolio) -> set of principal ARNs
        self.provisioned = {}     # id -> {account, stack, product, portfolio}

    # ---- administration (the hub account's templates/catalog.yaml) ----
    def create_portfolio(self, account, p):
        # AWS::ServiceCatalog::Portfolio: DisplayName 1-100, ProviderName 1-50, Description
        # up to 2000 (aws-resource-servicecatalog-portfolio.html).
        _length("DisplayName", p.get("DisplayName"), 1, 100)
        _length("ProviderName", p.get("ProviderName"), 1, 50)
        if "Description" in p:
            _length("Description", p["Description"], 0, 2000)
        pid = _id("port-")
        with self.lock:
            self.portfolios[pid] = {"account": account, "name": p["DisplayName"],
                                    "provider": p["ProviderName"], "products": set(),
                                    "shares": set()}
        return pid

    def delete_portfolio(self, account, pid):
        with self.lock:
            port = self._portfolio(account, pid)
            # DeletePortfolio: "You cannot delete a portfolio if it was shared with you or if
            # it has associated products, users, constraints, or shared accounts."
            if port["products"] or port["shares"] or any(
                    c["portfolio"] == pid for c in self.constraints.values()):
                raise ScError("ResourceInUseException",
                              f"portfolio {pid} still has products, constraints or shares")
            del self.portfolios[pid]

    def create_product(self, account, p):
        # AWS::ServiceCatalog::CloudFormationProduct: Name and Owner required (up to 8191);
        # each provisioning artifact's Info holds LoadTemplateFromURL or ImportFromPhysicalId
        # (aws-resource-servicecatalog-cloudformationproduct.html,
        # aws-properties-servicecatalog-cloudformationproduct-provisioningartifactproperties.html).
        _length("Name", p.get("Name"), 1, 8191)
        _length("Owner", p.get("Owner"), 1, 8191)
        arts = []
        for a in p.get("ProvisioningArtifactParameters") or []:
            info = a.get("Info") or {}
            url = info.get("LoadTemplateFromURL")
            if not url or set(info) - {"LoadTemplateFromURL"}:
                raise ScError("InvalidParametersException",
                              f"provisioning artifact Info must be LoadTemplateFromURL here, not {info}")
            arts.append({"id": _id("pa-"), "name": a.get("Name", ""), "url": url})
        if not arts:
            raise ScError("InvalidParametersException",
                          "a product needs at least one provisioning artifact")
        pid = _id("prod-")
        with self.lock:
            self.products[pid] = {"account": account, "name": p["Name"], "owner": p["Owner"],
                                  "artifacts": arts}
        return pid, arts

    def delete_product(self, account, pid):
        with self.lock:
            self._product(account, pid)
            if any(pid in port["products"] for port in self.portfolios.values()):
                raise ScError("ResourceInUseException", f"product {pid} is in a portfolio")
            del self.products[pid]

    def associate(self, account, portfolio, product):
        with self.lock:
            port = self._portfolio(account, portfolio)
            self._product(account, product)
            port["products"].add(product)
        return f"{portfolio}|{product}"

    def disassociate(self, account, portfolio, product):
        with self.lock:
            port = self._portfolio(account, portfolio)
            if any(c["portfolio"] == portfolio and c["product"] == product
                   for c in self.constraints.values()):
                raise ScError("ResourceInUseException",
                              f"constraints still apply to {product} in {portfolio}")
            port["products"].discard(product)

    def create_constraint(self, account, ctype, p):
        portfolio, product = p.get("PortfolioId"), p.get("ProductId")
        with self.lock:
            port = self._portfolio(account, portfolio)
            self._product(account, product)
            # CreateConstraint: the product must be in the portfolio first (hence the
            # templates' DependsOn on the association).
            if product not in port["products"]:
                raise ScError("ResourceNotFoundException",
                              f"product {product} is not associated with portfolio {portfolio}")
            if ctype == "LAUNCH":
                # "You are required to specify either the RoleArn or the LocalRoleName but
                # can't use both." (aws-resource-servicecatalog-launchroleconstraint.html);
                # one launch constraint per product and portfolio.
                if bool(p.get("RoleArn")) == bool(p.get("LocalRoleName")):
                    raise ScError("InvalidParametersException",
                                  "a launch constraint takes RoleArn or LocalRoleName, exactly one")
                if any(c["type"] == "LAUNCH" and c["portfolio"] == portfolio
                       and c["product"] == product for c in self.constraints.values()):
                    raise ScError("DuplicateResourceException",
                                  f"{product} in {portfolio} already has a launch constraint")
            elif ctype == "TEMPLATE":
                if not isinstance(p.get("Rules"), str):
                    raise ScError("InvalidParametersException", "Rules must be a JSON string")
                try:
                    doc = json.loads(p["Rules"])
                except ValueError as e:
                    raise ScError("InvalidParametersException", f"Rules is not JSON: {e}") from None
                if not isinstance(doc, dict) or not doc:
                    raise ScError("InvalidParametersException", "Rules must name at least one rule")
            cid = _id("cons-")
            self.constraints[cid] = {"account": account, "type": ctype, "portfolio": portfolio,
                                     "product": product, "params": dict(p)}
        return cid

    def delete_constraint(self, account, cid):
        with self.lock:
            c = self.constraints.get(cid)
            if c is None or c["account"] != account:
                raise ScError("ResourceNotFoundException", f"no constraint {cid}")
            del self.constraints[cid]

    def share(self, account, portfolio, target):
        # AWS::ServiceCatalog::PortfolioShare: one AWS account id (12 digits); an organization
        # share is CreatePortfolioShare with OrganizationNode, from the management or a
        # delegated administrator account (aws-resource-servicecatalog-portfolioshare.html).
        if not re.fullmatch(r"[0-9]{12}", str(target)):
            raise ScError("InvalidParametersException", f"AccountId {target!r} is not 12 digits")
        if target == account:
            raise ScError("InvalidParametersException", "a portfolio is not shared with its own account")
        with self.lock:
            self._portfolio(account, portfolio)["shares"].add(target)
        return f"{portfolio}|{target}"

    def unshare(self, account, portfolio, target):
        with self.lock:
            self._portfolio(account, portfolio)["shares"].discard(target)
            self.imported.discard((target, portfolio))

    # ---- the client account's side ----
    def accept_share(self, account, portfolio):
        with self.lock:
            port = self.portfolios.get(portfolio)
            if port is None or account not in port["shares"]:
                raise ScError("ResourceNotFoundException",
                              f"portfolio {portfolio} is not shared with {account}")
            self.imported.add((account, portfolio))

    def associate_principal(self, account, portfolio, principal_arn):
        with self.lock:
            port = self.portfolios.get(portfolio)
            if port is None or (port["account"] != account and (account, portfolio) not in self.imported):
                raise ScError("ResourceNotFoundException", f"no portfolio {portfolio} in {account}")
            if not re.fullmatch(rf"arn:aws:iam::{account}:(user|role|group)/.+", principal_arn):
                raise ScError("InvalidParametersException",
                              f"principal {principal_arn} is not an IAM user, role or group of {account}")
            self.principals.setdefault((account, portfolio), set()).add(principal_arn)

    # ---- the played launch ----
    def provision(self, sim, account, launcher, portfolio, product, artifact_name, name,
                  parameters, templates):
        """ProvisionProduct by LAUNCHER {"arn", "policies"} of ACCOUNT, played: checks as
        Service Catalog does, then cfnsim creates the stack SC-<account>-pp-<id> in ACCOUNT as
        the launch role. templates maps a LoadTemplateFromURL to a local file. Returns the
        stack (look at .status); raises ScError for a refusal before any stack exists."""
        # judged on resource "*": only a statement whose Resource matches "*" grants it
        verdict = cfnsim_iam.decide(launcher["policies"], "servicecatalog:ProvisionProduct", "*",
                                    launcher["arn"], sim.aws.region)
        if verdict != "Allow":
            raise ScError("AccessDeniedException",
                          f"{launcher['arn']} is not authorized to perform servicecatalog:ProvisionProduct")
        with self.lock:
            port = self.portfolios.get(portfolio)
            if port is None or (port["account"] != account and (account, portfolio) not in self.imported):
                raise ScError("ResourceNotFoundException",
                              f"portfolio {portfolio} is not in or imported into {account}")
            if launcher["arn"] not in self.principals.get((account, portfolio), set()):
                raise ScError("ResourceNotFoundException",
                              f"{launcher['arn']} is not a principal of portfolio {portfolio}")
            if product not in port["products"]:
                raise ScError("ResourceNotFoundException", f"product {product} is not in {portfolio}")
            prod = self.products[product]
            art = next((a for a in prod["artifacts"] if a["name"] == artifact_name), None)
            if art is None:
                raise ScError("ResourceNotFoundException",
                              f"product {product} has no provisioning artifact {artifact_name!r}")
            cons = [c for c in self.constraints.values()
                    if c["portfolio"] == portfolio and c["product"] == product]
        launch = [c for c in cons if c["type"] == "LAUNCH"]
        if not launch:
            raise ScError("InvalidParametersException",
                          "no launch constraint: the launch would need the launcher's own rights")
        lp = launch[0]["params"]
        # LocalRoleName: "the IAM role with that name in the account will be used"
        # (aws-resource-servicecatalog-launchroleconstraint.html).
        role_arn = lp.get("RoleArn") or f"arn:aws:iam::{account}:role/{lp['LocalRoleName']}"
        m = re.fullmatch(r"arn:aws:iam::([0-9]{12}):role/(?:.*/)?([\w+=,.@-]+)", role_arn)
        if not m or m.group(1) != account:
            raise ScError("InvalidParametersException",
                          f"launch role {role_arn} is not a role of the launching account {account}")
        url = art["url"]
        if url not in templates:
            raise ScError("InvalidParametersException", f"cfnsim has no local file for {url}")
        tmpl = sim.load_template(templates[url])
        decl = tmpl.get("Parameters", {})
        values = {k: str(parameters.get(k, v.get("Default", ""))) for k, v in decl.items()}
        for c in cons:
            if c["type"] != "TEMPLATE":
                continue
            doc = json.loads(c["params"]["Rules"])
            failed = rules_mod.evaluate(doc, lambda n: values[n], _no_value_of)
            if failed:
                raise ScError("InvalidParametersException", "; ".join(failed))
        pp = _id("pp-")
        stack_name = f"SC-{account}-{pp}"
        stack = sim.create_stack(stack_name, tmpl, account, parameters=dict(parameters),
                                 capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
                                 launch_role=(role_arn, url))
        with self.lock:
            self.provisioned[pp] = {"account": account, "stack": stack, "product": product,
                                    "portfolio": portfolio, "name": name}
        return stack

    # ---- lookups (callers hold the lock) ----
    def _portfolio(self, account, pid):
        port = self.portfolios.get(pid)
        if port is None or port["account"] != account:
            raise ScError("ResourceNotFoundException", f"no portfolio {pid} in account {account}")
        return port

    def _product(self, account, pid):
        prod = self.products.get(pid)
        if prod is None or prod["account"] != account:
            raise ScError("ResourceNotFoundException", f"no product {pid} in account {account}")
        return prod
