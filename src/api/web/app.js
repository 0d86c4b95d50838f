// SPDX-License-Identifier: Apache-2.0
// The hub page (src/api/admin.h, issue 17): reads /admin/api/* and draws it. Plain JS, no
// framework. Every value from the broker is set with textContent or as an attribute value,
// never parsed as HTML: a label or client_ref shows as the text it is.
"use strict";

const REFRESH_MS = 5000;
const PAGE = 50;
const STATES = ["pending", "active", "failed", "releasing"];
const SVG = "http://www.w3.org/2000/svg";

const view = { cursors: [""], page: 0, next: null, filters: {}, refreshes: 0, timer: null };

function $(id) { return document.getElementById(id); }

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}

function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

async function getJSON(path) {
  const r = await fetch(path, { cache: "no-store", credentials: "same-origin" });
  const body = await r.json().catch(() => null);
  if (!r.ok) {
    const msg = body && body.error ? body.error.message : "HTTP " + r.status;
    throw new Error(msg);
  }
  return body;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v !== null && v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? "?" + s : "";
}

// ---- the summary: the hub, the gauges, the picture, the last pass -------------------------

function renderGauges(gauges) {
  const box = $("gauges");
  clear(box);
  for (const g of gauges) {
    const d = el("div", null, "gauge");
    d.dataset.gauge = g.name;
    const pct = g.of > 0 ? Math.min(100, (100 * g.used) / g.of) : 0;
    const head = el("div");
    head.appendChild(el("strong", g.name + " "));
    head.appendChild(el("span", g.used + " / " + g.of, "figure"));
    head.appendChild(el("span", " (" + Math.round(pct) + "%)", "muted"));
    d.appendChild(head);
    const bar = el("div", null, "bar");
    const fill = el("div", null, "fill" + (pct >= 100 ? " full" : pct >= 80 ? " warn" : ""));
    fill.style.width = pct + "%";
    bar.appendChild(fill);
    d.appendChild(bar);
    d.appendChild(el("div", g.what + "; raise: " + g.raise, "muted"));
    box.appendChild(d);
  }
}

function stateColor(state) {
  return getComputedStyle(document.documentElement).getPropertyValue("--" + state).trim() || "#999";
}

function hubNode(root, hub, cx, cy) {
  const g = svg("g", { class: "hub" });
  g.appendChild(svg("circle", { cx, cy, r: 66, fill: "#232f3e" }));
  g.appendChild(svg("text", { x: cx, y: cy - 24, "text-anchor": "middle" }, "hub"));
  g.appendChild(svg("text", { x: cx, y: cy - 8, "text-anchor": "middle", class: "small" }, hub.vpc));
  g.appendChild(svg("text", { x: cx, y: cy + 8, "text-anchor": "middle" }, hub.cidr));
  g.appendChild(svg("text", { x: cx, y: cy + 24, "text-anchor": "middle" },
    hub.attach === "transit-gateway" ? hub.transit_gateway_id : hub.region));
  g.appendChild(svg("title", {}, "hub " + hub.vpc + " " + hub.cidr + " in account " + hub.account));
  root.appendChild(g);
}

function drawEach(root, namespaces, cx, cy) {
  const n = namespaces.length;
  const radius = 200;
  namespaces.forEach((ns, i) => {
    const a = (2 * Math.PI * i) / Math.max(n, 1) - Math.PI / 2;
    const x = cx + radius * Math.cos(a) * 1.5, y = cy + radius * Math.sin(a);
    const color = stateColor(ns.State);
    const g = svg("g", { class: "ns", "data-n": ns.NamespaceId });
    g.appendChild(svg("line", { x1: cx, y1: cy, x2: x, y2: y, stroke: color,
      "stroke-width": 2, "stroke-dasharray": ns.State === "active" ? "" : "4 3" }));
    g.appendChild(svg("circle", { cx: x, cy: y, r: 7, fill: color }));
    const anchor = Math.cos(a) < -0.1 ? "end" : Math.cos(a) > 0.1 ? "start" : "middle";
    const dx = anchor === "end" ? -10 : anchor === "start" ? 10 : 0;
    g.appendChild(svg("text", { x: x + dx, y: y - 2, "text-anchor": anchor },
      ns.NamespaceId + " " + ns.VpcCidrBlock));
    g.appendChild(svg("text", { x: x + dx, y: y + 10, "text-anchor": anchor, class: "muted" },
      ns.AccountId));
    const link = ns.TransitGatewayAttachmentId || ns.VpcPeeringConnectionId || "no peering yet";
    g.appendChild(svg("title", {}, "n=" + ns.NamespaceId + " " + ns.State + " " + ns.VpcCidrBlock +
      " account " + ns.AccountId + " " + ns.ClientRef + " " + link));
    root.appendChild(g);
  });
}

function drawAggregate(root, byAccount, cx, cy) {
  const rows = Object.entries(byAccount).map(([account, s]) => {
    const total = STATES.reduce((t, k) => t + (s[k] || 0), 0);
    return { account, s, total };
  }).sort((a, b) => b.total - a.total);
  const shown = rows.slice(0, 23);
  const rest = rows.slice(23);
  if (rest.length) {
    const s = {};
    for (const k of STATES) s[k] = rest.reduce((t, r) => t + (r.s[k] || 0), 0);
    shown.push({ account: "other " + rest.length + " accounts", s,
      total: rest.reduce((t, r) => t + r.total, 0) });
  }
  const max = Math.max(1, ...shown.map((r) => r.total));
  shown.forEach((r, i) => {
    const a = (2 * Math.PI * i) / Math.max(shown.length, 1) - Math.PI / 2;
    const x = cx + 300 * Math.cos(a), y = cy + 200 * Math.sin(a);
    const size = 8 + 22 * Math.sqrt(r.total / max);
    const g = svg("g", { class: "account", "data-account": r.account });
    g.appendChild(svg("line", { x1: cx, y1: cy, x2: x, y2: y, stroke: "#bbb",
      "stroke-width": 1 + 6 * (r.total / max) }));
    // the account's states as a stacked ring: one arc per state, sized by its share
    let start = -Math.PI / 2;
    for (const k of STATES) {
      const v = r.s[k] || 0;
      if (!v) continue;
      const sweep = (2 * Math.PI * v) / r.total;
      if (sweep >= 2 * Math.PI - 1e-6) {
        g.appendChild(svg("circle", { cx: x, cy: y, r: size, fill: stateColor(k) }));
      } else {
        const x1 = x + size * Math.cos(start), y1 = y + size * Math.sin(start);
        const x2 = x + size * Math.cos(start + sweep), y2 = y + size * Math.sin(start + sweep);
        g.appendChild(svg("path", { fill: stateColor(k), d: "M" + x + " " + y + " L" + x1 + " " + y1 +
          " A" + size + " " + size + " 0 " + (sweep > Math.PI ? 1 : 0) + " 1 " + x2 + " " + y2 + " Z" }));
      }
      start += sweep;
    }
    g.appendChild(svg("text", { x, y: y + size + 11, "text-anchor": "middle" },
      r.account + " (" + r.total + ")"));
    g.appendChild(svg("title", {}, r.account + ": " +
      STATES.map((k) => k + " " + (r.s[k] || 0)).join(", ")));
    root.appendChild(g);
  });
}

function renderPicture(sum) {
  const root = $("picture");
  clear(root);
  const cx = 400, cy = 260;
  root.dataset.mode = sum.picture.mode;
  if (sum.picture.mode === "each") drawEach(root, sum.picture.namespaces, cx, cy);
  else drawAggregate(root, sum.picture.by_account, cx, cy);
  hubNode(root, sum.hub, cx, cy);
  const legend = $("legend");
  clear(legend);
  for (const k of STATES) {
    const li = el("li");
    li.dataset.state = k;
    li.appendChild(el("span", null, "swatch s-" + k));
    li.appendChild(el("span", k + " " + (sum.states[k] || 0)));
    legend.appendChild(li);
  }
  if (sum.picture.mode === "aggregate")
    legend.appendChild(el("li", "grouped by account: too many namespaces to draw each", "muted"));
}

function renderPass(pass) {
  const box = $("last-pass");
  clear(box);
  if (!pass) {
    box.appendChild(el("p", "No pass since the broker started.", "muted"));
    return;
  }
  const when = new Date(pass.finished_at * 1000).toISOString().replace(".000", "");
  const s = pass.summary;
  box.appendChild(el("p", (pass.dry_run ? "Dry run " : "Pass ") + "finished " + when + " in " +
    (pass.finished_at - pass.started_at) + " s"));
  const c = pass.checked;
  box.appendChild(el("p", "Checked " + c.namespaces + " namespaces, " + c.route_tables +
    " route tables (" + c.routes + " routes), " + c.peerings + " peerings, " + c.roles + " roles.", "muted"));
  box.appendChild(el("p", "Found " + pass.item_count + ": changed " + s.changed + ", failed " + s.failed +
    ", reported " + s.reported + ", skipped " + s.skipped + ", held " + s.held + ", planned " + s.planned + "."));
  if (pass.items.length) {
    const ul = el("ul", null, "pass-items");
    for (const it of pass.items)
      ul.appendChild(el("li", it.kind + " (" + it.outcome + ")" + (it.n ? " n=" + it.n : "") +
        (it.detail ? ": " + it.detail : "")));
    box.appendChild(ul);
  }
}

// ---- the table ------------------------------------------------------------------------------

function labelsText(labels) {
  return Object.entries(labels || {}).map(([k, v]) => k + "=" + v).join(", ");
}

function renderRows(page) {
  const body = $("ns-rows");
  clear(body);
  for (const ns of page.Namespaces) {
    const tr = el("tr");
    tr.dataset.n = ns.NamespaceId;
    const cells = [ns.NamespaceId, ns.State, ns.AccountId, ns.ClientRef, ns.VpcCidrBlock,
      ns.VpcId || "", ns.TransitGatewayAttachmentId || ns.VpcPeeringConnectionId || "",
      labelsText(ns.Labels), ns.UpdatedAt || ""];
    cells.forEach((v, i) => tr.appendChild(el("td", v, i === 1 ? "state-" + ns.State : null)));
    body.appendChild(tr);
  }
  if (!page.Namespaces.length) {
    const tr = el("tr");
    const td = el("td", "No namespace matches.", "muted");
    td.colSpan = 9;
    tr.appendChild(td);
    body.appendChild(tr);
  }
  view.next = page.NextCursor;
  $("prev").disabled = view.page === 0;
  $("next").disabled = !view.next;
  $("page-info").textContent = "page " + (view.page + 1) + " (" + page.Namespaces.length + " rows)";
}

function renderEvents(page) {
  const body = $("event-rows");
  clear(body);
  for (const e of page.Events) {
    const tr = el("tr");
    tr.dataset.event = e.EventId;
    for (const v of [e.At || "", e.Type, e.NamespaceId || "", e.AccountId, JSON.stringify(e.Detail)])
      tr.appendChild(el("td", v));
    body.appendChild(tr);
  }
}

// ---- refresh ------------------------------------------------------------------------------

async function refresh() {
  clearTimeout(view.timer);
  const f = view.filters;
  try {
    const [sum, page, events] = await Promise.all([
      getJSON("api/summary"),
      getJSON("api/namespaces" + query({ limit: PAGE, cursor: view.cursors[view.page], q: f.q,
        state: f.state, account: f.account, label: f.label })).catch((e) => ({ error: e })),
      getJSON("api/events" + query({ limit: 20 })),
    ]);
    $("hub-name").textContent = sum.hub.vpc + " " + sum.hub.cidr + " · " + sum.hub.region +
      " · account " + sum.hub.account + " · " + sum.hub.attach;
    renderGauges(sum.gauges);
    renderPicture(sum);
    renderPass(sum.last_pass);
    if (page.error) {
      $("table-error").textContent = page.error.message;
    } else {
      $("table-error").textContent = "";
      renderRows(page);
    }
    renderEvents(events);
    view.refreshes++;
    $("status").textContent = "Updated " + new Date().toLocaleTimeString() + "; refreshes every " +
      REFRESH_MS / 1000 + " s";
    document.body.dataset.ready = String(view.refreshes); // the browser test waits for this
  } catch (e) {
    $("status").textContent = "Cannot reach the broker: " + e.message;
  }
  view.timer = setTimeout(refresh, REFRESH_MS);
}

function start() {
  $("filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    view.filters = { q: $("f-q").value.trim(), state: $("f-state").value,
      account: $("f-account").value.trim(), label: $("f-label").value.trim() };
    view.cursors = [""];
    view.page = 0;
    refresh();
  });
  $("next").addEventListener("click", () => {
    if (!view.next) return;
    view.cursors[view.page + 1] = view.next;
    view.page++;
    refresh();
  });
  $("prev").addEventListener("click", () => {
    if (view.page === 0) return;
    view.page--;
    refresh();
  });
  // The filters may also come from the page's own URL (/admin/?state=active&label=team%3Dops),
  // so that a link names a view (the browser test opens one that way).
  const p = new URLSearchParams(location.search);
  for (const k of ["q", "state", "account", "label"]) {
    const v = p.get(k);
    if (v) { view.filters[k] = v; const input = $("f-" + k); if (input) input.value = v; }
  }
  refresh();
}

document.addEventListener("DOMContentLoaded", start);
