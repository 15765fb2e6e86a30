// fog control panel: plain JavaScript, no libraries. Pages are rendered from the server's
// /ui/api summaries and the ordinary /apis/fog/v1alpha1 API, with the user's own token.
"use strict";

const API = "/apis/fog/v1alpha1";
const state = { kinds: {}, revision: "0", live: null, timer: null, last: 0, dirty: false };

// Every error the page meets is kept (and shown in the console): the browser tests read
// window.fogErrors to check that no page has any.
window.fogErrors = [];
window.fogBoot = Date.now();
window.addEventListener("error", e => window.fogErrors.push(String(e.message)));
window.addEventListener("unhandledrejection", e => window.fogErrors.push(String(e.reason && e.reason.message || e.reason)));

// ---- helpers ---------------------------------------------------------------------------

function esc(v) {
  return String(v ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function num(v, digits = 4) {
  if (v === null || v === undefined || v === "") return "-";
  const n = Number(v);
  return Number.isFinite(n) ? String(Math.round(n * 10 ** digits) / 10 ** digits) : esc(v);
}
function pct(v) { return v === null || v === undefined ? "-" : (Number(v) * 100).toFixed(0) + "%"; }
function ago(t) {
  if (!t) return "-";
  const s = (Date.now() - Date.parse(t)) / 1000;
  if (!Number.isFinite(s)) return esc(t);
  const a = Math.abs(s), f = a < 60 ? `${Math.round(a)}s` : a < 3600 ? `${Math.round(a / 60)}m` : a < 86400 ? `${Math.round(a / 3600)}h` : `${Math.round(a / 86400)}d`;
  return s >= 0 ? f + " ago" : "in " + f;
}
function pill(text, kind) { return `<span class="pill ${kind || ""}">${esc(text)}</span>`; }
function phasePill(p) {
  const ok = ["Succeeded", "Running", "Closed", "Allocated", "Admitted", "True"], bad = ["Failed", "False"], warn = ["Pending", "Open", "Stopped", "Degraded"];
  return pill(p ?? "-", ok.includes(p) ? "ok" : bad.includes(p) ? "bad" : warn.includes(p) ? "warn" : "");
}
function condPill(c) { return c ? pill(`${c.status} ${c.reason || ""}`.trim(), c.status === "True" ? "ok" : "bad") : pill("-"); }
function link(kind, ns, name, text) {
  const route = { FederatedJob: "job", Auction: "auction", CircuitPool: "circuitpool", GitSource: "gitsource", FogNode: "node" }[kind];
  const target = route ? `#/${route}/${kind === "FogNode" ? "" : encodeURIComponent(ns || "default") + "/"}${encodeURIComponent(name)}`
    : `#/object/${encodeURIComponent(kind)}/${encodeURIComponent(ns || "")}/${encodeURIComponent(name)}`;
  return `<a href="${target}">${esc(text ?? name)}</a>`;
}
function table(headers, rows, opts = {}) {
  const head = headers.map((h, i) => `<th class="${(opts.numeric || []).includes(i) ? "num" : ""}">${esc(h)}</th>`).join("");
  const body = rows.length ? rows.map(r => `<tr>${r.map((c, i) => `<td class="${(opts.numeric || []).includes(i) ? "num" : ""}">${c}</td>`).join("")}</tr>`).join("")
    : `<tr><td colspan="${headers.length}" class="muted">${esc(opts.empty || "none")}</td></tr>`;
  return `<table${opts.id ? ` id="${opts.id}"` : ""}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}
function card(title, html, cls = "") { return `<section class="card ${cls}"><h2>${esc(title)}</h2>${html}</section>`; }
function hidden(what) { return `<p class="muted">Your token may not read ${esc(what)}.</p>`; }

async function request(path, options = {}) {
  const headers = Object.assign({ Accept: "application/json" }, options.headers || {});
  const token = sessionStorage.getItem("fog-token");
  if (token) headers.Authorization = "Bearer " + token;
  const res = await fetch(path, Object.assign({}, options, { headers }));
  if (res.status === 401) { await login(); return request(path, options); }
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = { message: text }; }
  if (!res.ok) { const err = new Error((body && body.message) || res.statusText); err.status = res.status; err.body = body; throw err; }
  return body;
}
function login() {
  return new Promise(resolve => {
    const dialog = document.getElementById("login"), form = document.getElementById("login-form");
    form.onsubmit = ev => {
      ev.preventDefault();
      sessionStorage.setItem("fog-token", document.getElementById("token").value);
      dialog.close();
      resolve();
    };
    if (!dialog.open) dialog.showModal();
  });
}
function objectPath(kind, ns, name) {
  const k = state.kinds[kind];
  if (!k) throw new Error("unknown kind " + kind);
  return k.namespaced ? `${API}/namespaces/${encodeURIComponent(ns || "default")}/${k.name}/${encodeURIComponent(name)}` : `${API}/${k.name}/${encodeURIComponent(name)}`;
}
function listPath(kind) { return `${API}/${state.kinds[kind].name}`; }

// ---- YAML and diff (display only) ----------------------------------------------------------

function yaml(v, indent = "") {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) {
    if (!v.length) return "[]";
    return v.map(x => {
      const inner = yaml(x, indent + "  ");
      return `\n${indent}- ` + (typeof x === "object" && x !== null && !Array.isArray(x) && Object.keys(x).length ? inner.replace(/^\n\s*/, "") : inner.replace(/^\n/, ""));
    }).join("");
  }
  if (typeof v === "object") {
    const keys = Object.keys(v);
    if (!keys.length) return "{}";
    return keys.map(k => {
      const x = v[k], inner = yaml(x, indent + "  ");
      const block = typeof x === "object" && x !== null && (Array.isArray(x) ? x.length : Object.keys(x).length);
      return `\n${indent}${scalarKey(k)}:` + (block ? inner : " " + inner);
    }).join("");
  }
  if (typeof v === "string") return /^[\w./:@+-][\w ./:@+-]*$/.test(v) && !/^(true|false|null|yes|no|[-+]?[\d.]+(e[-+]?\d+)?)$/i.test(v) && !/\s$/.test(v) ? v : JSON.stringify(v);
  return String(v);
}
function scalarKey(k) { return /^[\w./-]+$/.test(k) ? k : JSON.stringify(k); }
function toYAML(obj) { return yaml(obj).replace(/^\n/, "") + "\n"; }

// Line diff by longest common subsequence (objects are small).
function diffLines(a, b) {
  const x = a.split("\n"), y = b.split("\n"), n = x.length, m = y.length;
  const dp = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i][j] = x[i] === y[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push([" ", x[i]]); i++; j++; } else if (dp[i + 1][j] >= dp[i][j + 1]) { out.push(["-", x[i++]]); } else { out.push(["+", y[j++]]); }
  }
  while (i < n) out.push(["-", x[i++]]);
  while (j < m) out.push(["+", y[j++]]);
  return out;
}
function renderDiff(a, b) {
  const lines = diffLines(a, b);
  if (!lines.some(l => l[0] !== " ")) return `<p class="muted">No differences.</p>`;
  return `<pre class="diff">${lines.map(([t, l]) => `<span class="${t === "+" ? "add" : t === "-" ? "del" : "ctx"}">${esc(t + " " + l)}</span>`).join("\n")}</pre>`;
}

// ---- charts and graphs (SVG) -------------------------------------------------------------

function lineChart(series, opts = {}) {
  const w = opts.width || 640, h = opts.height || 220, pad = 36;
  const points = series.flatMap(s => s.points);
  if (!points.length) return `<p class="muted">No rounds yet.</p>`;
  const xs = points.map(p => p[0]), x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
  const colours = ["#2f5fd0", "#c2410c", "#1a7f37", "#7c3aed"];
  let svg = `<svg role="img" aria-label="${esc(opts.label || "chart")}" viewBox="0 0 ${w} ${h}" width="100%" style="max-width:${w}px">`;
  svg += `<line x1="${pad}" y1="${h - pad}" x2="${w - 10}" y2="${h - pad}" stroke="#ccd"/><line x1="${pad}" y1="10" x2="${pad}" y2="${h - pad}" stroke="#ccd"/>`;
  svg += `<text x="${pad}" y="${h - pad + 16}">${x0}</text><text x="${w - 30}" y="${h - pad + 16}">${x1}</text><text x="${w / 2 - 20}" y="${h - 6}">${esc(opts.xLabel || "round")}</text>`;
  series.forEach((s, k) => {
    const ys = s.points.map(p => p[1]);
    if (!ys.length) return;
    const y0 = Math.min(...ys), y1 = Math.max(...ys) === y0 ? y0 + 1 : Math.max(...ys);
    const px = v => pad + (v - x0) / (x1 - x0) * (w - pad - 10), py = v => (h - pad) - (v - y0) / (y1 - y0) * (h - pad - 20);
    const d = s.points.map((p, i) => `${i ? "L" : "M"}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(" ");
    svg += `<path d="${d}" fill="none" stroke="${colours[k % 4]}" stroke-width="2" data-series="${esc(s.name)}"/>`;
    svg += s.points.map(p => `<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="2.5" fill="${colours[k % 4]}"><title>${esc(s.name)} round ${p[0]}: ${num(p[1])}</title></circle>`).join("");
    svg += `<text x="${pad + 8 + k * 150}" y="14" style="fill:${colours[k % 4]}">${esc(s.name)} ${num(y0, 3)}–${num(y1, 3)}</text>`;
  });
  return svg + "</svg>";
}

// ---- pages -------------------------------------------------------------------------------

const pages = {
  async overview() {
    const o = await request("/ui/api/overview");
    const n = o.nodes, j = o.jobs, a = o.auctions;
    let html = `<h1>Overview</h1><div class="grid">`;
    html += card("Nodes", n ? `<div class="big" id="nodes-ready">${n.ready} / ${n.total}</div><p class="muted">ready</p>` +
      table(["Region", "Ready", ""], n.byRegion.map(r => [`<a href="#/nodes?region=${encodeURIComponent(r.region)}">${esc(r.region)}</a>`, `${r.ready} / ${r.total}`,
        `<div class="bar"><span style="width:${r.total ? r.ready / r.total * 100 : 0}%"></span></div>`])) +
      table(["Class", "Ready"], n.byClass.map(c => [`<a href="#/nodes?class=${encodeURIComponent(c.class)}">${esc(c.class)}</a>`, `${c.ready} / ${c.total}`])) : hidden("nodes"));
    html += card("Jobs", j ? `<p>${Object.entries(j.byPhase).sort().map(([p, c]) => `${phasePill(p)} ${c}`).join(" ")}</p>` +
      table(["Job", "Phase", "Round", "Accuracy"], j.list.map(r => [link("FederatedJob", r.namespace, r.name, `${r.namespace}/${r.name}`), phasePill(r.phase),
        r.round !== null ? `${r.round}${r.rounds ? " / " + r.rounds : ""}` : "-", num(r.accuracy)]), { id: "overview-jobs" }) : hidden("jobs"));
    html += card("Auctions", a ? `<p><span class="big">${a.open}</span> open of ${a.total}</p>` +
      table(["Auction", "Phase", "Bids", "Winners", "Clearing"], a.list.map(r => [link("Auction", r.namespace, r.name, `${r.namespace}/${r.name}`),
        phasePill(r.phase), num(r.bids), num(r.winners), num(r.clearingPrice)])) : hidden("auctions"));
    html += card("Circuit pools", o.circuitPools ? table(["Pool", "Ready", "Circuits"], o.circuitPools.map(p => [link("CircuitPool", p.namespace, p.name, `${p.namespace}/${p.name}`),
      condPill(p.ready), `${p.readyCircuits ?? "-"} / ${p.wanted ?? "-"}`])) : hidden("circuit pools"));
    html += card("GitSources", o.gitSources ? table(["Source", "Ready", "Revision", "Objects"], o.gitSources.map(g => [link("GitSource", g.namespace, g.name, `${g.namespace}/${g.name}`),
      condPill(g.ready), esc((g.lastAppliedRevision || "-").slice(0, 12)), num(g.inventoryCount)])) : hidden("GitSources"));
    html += card("Recent events", o.events ? eventsTable(o.events) : hidden("events"), "wide");
    return html + "</div>";
  },

  async nodes(params) {
    const q = new URLSearchParams(params);
    const limit = Number(q.get("limit") || 50), offset = Number(q.get("offset") || 0);
    const page = await request("/ui/api/nodes?" + q.toString());
    const sortLink = (key, label) => {
      const next = new URLSearchParams(q); next.set("sort", key); next.set("order", page.sort === key && page.order === "asc" ? "desc" : "asc"); next.delete("offset");
      return `<th class="sortable ${page.sort === key ? "sorted-" + page.order : ""}" data-sort="${key}" onclick="location.hash='#/nodes?${esc(next.toString())}'">${esc(label)}</th>`;
    };
    const nav = (o) => { const p = new URLSearchParams(q); p.set("offset", String(Math.max(0, o))); return "#/nodes?" + p.toString(); };
    let html = `<h1>Nodes</h1><form class="filters" id="node-filters">
      <input name="q" placeholder="name or label" value="${esc(q.get("q") || "")}">
      <input name="region" placeholder="region" value="${esc(q.get("region") || "")}">
      <select name="class">${["", "mobile", "edge", "fog", "cloud"].map(c => `<option value="${c}" ${q.get("class") === c ? "selected" : ""}>${c || "any class"}</option>`).join("")}</select>
      <select name="ready">${[["", "any readiness"], ["true", "Ready"], ["false", "not Ready"]].map(([v, t]) => `<option value="${v}" ${q.get("ready") === v ? "selected" : ""}>${t}</option>`).join("")}</select>
      <button type="submit">Filter</button></form>`;
    html += `<div class="grid"><section class="card wide"><p id="node-count">${page.total ? `${page.offset + 1}–${Math.min(page.total, page.offset + page.items.length)} of ${page.total}` : "no nodes"}
      <a href="${nav(offset - limit)}" ${offset <= 0 ? 'aria-disabled="true" style="pointer-events:none;opacity:.4"' : ""} id="prev">‹ previous</a>
      <a href="${nav(offset + limit)}" ${offset + limit >= page.total ? 'aria-disabled="true" style="pointer-events:none;opacity:.4"' : ""} id="next">next ›</a></p>
      <table id="node-table"><thead><tr>${sortLink("name", "Name")}${sortLink("region", "Region")}${sortLink("class", "Class")}${sortLink("ready", "Ready")}
      ${sortLink("cpu", "CPU")}${sortLink("memory", "Memory")}${sortLink("rtt", "RTT ms")}${sortLink("trust", "Trust")}${sortLink("score", "Score")}${sortLink("reservations", "Jobs")}</tr></thead><tbody>
      ${page.items.map(r => `<tr><td>${link("FogNode", "", r.name)}</td><td>${esc(r.region)}</td><td>${esc(r.class)}</td><td>${r.ready ? pill("Ready", "ok") : pill("NotReady", "bad")}${r.unschedulable ? " " + pill("cordoned", "warn") : ""}</td>
        <td class="num">${pct(r.cpu)}</td><td class="num">${pct(r.memory)}</td><td class="num">${num(r.rtt, 1)}</td><td class="num">${num(r.trust, 3)}</td><td class="num">${num(r.score, 3)}</td><td class="num">${r.reservations}</td></tr>`).join("")}
      </tbody></table></section>`;
    html += card("By region (filtered)", table(["Region", "Ready", ""], page.regions.map(r => [`<a href="#/nodes?region=${encodeURIComponent(r.region)}">${esc(r.region)}</a>`, `${r.ready} / ${r.total}`,
      `<div class="bar"><span style="width:${r.total ? r.ready / r.total * 100 : 0}%"></span></div>`])));
    return html + "</div>";
  },

  async node([name]) {
    const n = await request(objectPath("FogNode", "", name));
    const s = n.status || {}, t = s.telemetry || {};
    let html = `<h1>Node ${esc(name)} ${condPill((s.conditions || []).find(c => c.type === "Ready"))}</h1><div class="grid">`;
    html += card("Spec", `<dl class="kv"><dt>Region</dt><dd>${esc(n.spec.region)}</dd><dt>Class</dt><dd>${esc(n.spec.class)}</dd><dt>Roles</dt><dd>${esc((n.spec.roles || []).join(", "))}</dd>
      <dt>Capacity</dt><dd>${esc(JSON.stringify(n.spec.capacity))}</dd><dt>Owner</dt><dd>${esc(n.spec.owner || "-")}</dd></dl>`);
    html += card("Telemetry", `<dl class="kv"><dt>Heartbeat</dt><dd>${ago(s.lastHeartbeatTime)}</dd><dt>CPU</dt><dd>${pct(t.cpu && t.cpu.utilization)}</dd>
      <dt>RTT</dt><dd>${num(t.rttAverageMillis ?? t.rttMillis, 1)} ms</dd><dt>Trust</dt><dd>${num(s.trust, 3)}</dd><dt>Uptime</dt><dd>${pct(s.availability && s.availability.uptime)}</dd></dl>`);
    html += card("Scores by algorithm", table(["Algorithm", "Score"], Object.entries(s.scores || {}).map(([k, v]) => [esc(k), num(v, 3)]), { id: "node-scores" }));
    html += card("Reservations", table(["Held by", "CPU", "Memory GiB", "GPU"], Object.entries(s.reservations || {}).map(([k, v]) => [esc(k), num(v.cpu), num(v.memoryGiB), num(v.gpu)])));
    html += card("Conditions", conditionsTable(s.conditions), "wide");
    return html + `</div>` + await objectSection("FogNode", "", name, n);
  },

  async jobs(params) {
    const { page, html } = await listPage("FederatedJob", "jobs", params);
    return `<h1>Jobs</h1>` + html + card(`Federated jobs (${page.total})`, table(["Job", "Type", "Privacy", "Phase", "Round", "Accuracy", "Participants", "Mode"], page.items.map(j => [
      link("FederatedJob", j.namespace, j.name, `${j.namespace}/${j.name}`), esc(j.type), esc(j.privacy), phasePill(j.phase),
      j.round !== null ? `${j.round}${j.rounds ? " / " + j.rounds : ""}` : "-", num(j.accuracy), num(j.participants), esc(j.mode || "direct")]), { id: "job-list" }));
  },

  async job([ns, name]) {
    const j = await request(objectPath("FederatedJob", ns, name));
    const s = j.status || {}, tr = s.training || {}, alloc = s.allocation || {}, quote = s.quote || {};
    const rounds = tr.rounds || [];
    const events = await request(`/ui/api/events?kind=FederatedJob&namespace=${encodeURIComponent(ns)}&name=${encodeURIComponent(name)}&limit=100`);
    let html = `<h1>Job ${esc(ns)}/${esc(name)} ${phasePill(s.phase)}</h1><div class="grid">`;
    const steps = [...(s.conditions || []).map(c => ({ t: c.lastTransitionTime, text: `${c.type}=${c.status} ${c.reason}${c.message ? ": " + c.message : ""}` })),
      ...events.items.map(e => ({ t: e.time, text: `${e.reason}: ${e.message}` }))].sort((a, b) => String(a.t).localeCompare(String(b.t)));
    html += card("Timeline", `<ul class="timeline" id="job-timeline">${steps.map(x => `<li><span class="muted">${esc(x.t)}</span> ${esc(x.text)}</li>`).join("")}</ul>`, "wide");
    html += card("Accuracy and loss by round", `<div id="job-chart">${lineChart([
      { name: "accuracy", points: rounds.filter(r => r.accuracy !== undefined).map(r => [r.round, r.accuracy]) },
      { name: "loss", points: rounds.filter(r => r.loss !== undefined).map(r => [r.round, r.loss]) }], { label: "accuracy and loss by round" })}</div>`, "wide");
    html += card("Participants", table(["Node", "Region", "Aggregator", "Price", "Bid"], (alloc.participants || []).map(p => [link("FogNode", "", p.node), esc(p.region),
      p.aggregator ? "yes" : "", num(p.price), esc(p.bid || "")]), { id: "job-participants", empty: "not allocated yet" }) +
      `<p class="muted">${alloc.auction ? "Bought in auction " + link("Auction", ns, alloc.auction) : "Direct allocation"}; total ${num(alloc.totalPrice)}</p>`);
    const listed = v => Array.isArray(v) ? v.map(x => typeof x === "string" ? x : x.node || x.participant || JSON.stringify(x)).join(", ") : v ?? "";
    html += card("Rounds", table(["Round", "Accuracy", "Loss", "Participants", "Excluded", "Dropped", "ε", "Within", "Across", "Server"], rounds.map(r => [num(r.round), num(r.accuracy), num(r.loss),
      num(Array.isArray(r.participants) ? r.participants.length : r.participants), esc(listed(r.excluded)), esc(listed(r.dropped)), num(r.epsilon, 3),
      num((r.traffic || {}).withinRegion, 0), num((r.traffic || {}).crossRegion, 0), num((r.traffic || {}).server, 0)]), { numeric: [0, 1, 2, 3, 6, 7, 8, 9] }));
    const privacy = tr.privacy || {};
    html += card("Privacy and traffic", `<dl class="kv"><dt>ε spent</dt><dd>${num(privacy.epsilon, 3)} of ${num(privacy.epsilonBudget, 3)}</dd>
      <dt>Bytes sent</dt><dd>${num(tr.bytesSent, 0)}</dd>
      <dt>Within regions</dt><dd id="job-traffic-within">${num((tr.traffic || {}).withinRegion, 0)}</dd><dt>Across regions</dt><dd>${num((tr.traffic || {}).crossRegion, 0)}</dd>
      <dt>To and from the server</dt><dd>${num((tr.traffic || {}).server, 0)}</dd>
      <dt>Via circuits</dt><dd>${num(tr.bytesViaCircuits ?? (tr.circuits || {}).bytes, 0)}</dd>
      <dt>Model cache</dt><dd>${tr.modelCache ? `${num(tr.modelCache.hits, 0)} hits, ${num(tr.modelCache.misses, 0)} misses, ${num(tr.modelCache.direct, 0)} direct` : "-"}</dd></dl>`);
    html += card("Quote", table(["Factor", "Value", "Detail"], (quote.factors || []).map(f => [esc(f.name), num(f.value), esc(f.detail || "")]), { id: "job-quote" }) +
      `<p>Unit price ${num(quote.unitPrice)} × ${num(quote.quantity)} ${esc(quote.unit || "")} = <b>${num(quote.total)} ${esc(quote.currency || "")}</b>; cost so far ${num((s.cost || {}).total)}</p>`);
    return html + `</div>` + await objectSection("FederatedJob", ns, name, j);
  },

  async auctions(params) {
    const { page, html } = await listPage("Auction", "auctions", params);
    return `<h1>Auctions</h1>` + html + card(`Auctions (${page.total})`, table(["Auction", "Job", "Phase", "Bids", "Winners", "Clearing", "Closes"], page.items.map(a => [
      link("Auction", a.namespace, a.name, `${a.namespace}/${a.name}`), esc(a.job || "(standalone)"), phasePill(a.phase), num(a.bids), num(a.winners), num(a.clearingPrice), ago(a.closesAt)])));
  },

  async auction([ns, name]) {
    const a = await request(objectPath("Auction", ns, name));
    // Sealed until the auction has closed (or failed), as the server seals its bids.
    const s = a.status || {}, open = !["Closed", "Cleared", "Failed"].includes(s.phase);
    let html = `<h1>Auction ${esc(ns)}/${esc(name)} ${phasePill(s.phase)}</h1><div class="grid">`;
    html += card("Terms", `<dl class="kv"><dt>Buys for</dt><dd>${a.spec.job ? link("FederatedJob", ns, a.spec.job) : "its owner (standalone)"}</dd><dt>Mechanism</dt><dd>${esc(a.spec.mechanism)}</dd>
      <dt>Wanted</dt><dd>${esc(a.spec.participantsMin ?? a.spec.participantsWanted)}–${esc(a.spec.participantsWanted)}</dd><dt>Reserve</dt><dd>${num(s.reservePrice ?? a.spec.reservePrice)} ${esc(a.spec.currency)} per ${esc(a.spec.unit)}</dd>
      <dt>Round</dt><dd>${num(s.round)}</dd><dt>Closes</dt><dd>${esc(s.closesAt || "-")} (${ago(s.closesAt)})</dd></dl>`);
    html += card("Outcome", open ? `<p id="auction-sealed">Sealed: ${num(s.bidCount)} bids received; prices are hidden until the auction closes.</p>`
      : `<dl class="kv"><dt>Winners</dt><dd>${num(s.winnerCount)}</dd><dt>Clearing price</dt><dd id="auction-clearing">${num(s.clearingPrice)}</dd><dt>Total payment</dt><dd>${num(s.totalPayment)}</dd>
        ${s.reason ? `<dt>Reason</dt><dd class="error">${esc(s.reason)}</dd>` : ""}${s.lease ? `<dt>Capacity held on</dt><dd>${(s.lease.nodes || []).map(x => link("FogNode", "", x)).join(", ")}</dd>` : ""}</dl>`);
    if (!open) html += card("Ranked bids", table(["Rank", "Bid", "Node", "Region", "Price", "Trust", "Effective", "Outcome", "Payment", "Reason"], (s.ranking || []).map(r => [num(r.rank),
      esc(r.bid), link("FogNode", "", r.node), esc(r.region || ""), num(r.price), num(r.trust, 3), num(r.effectivePrice), phasePill(r.outcome === "Won" ? "Succeeded" : "Failed").replace(/Succeeded|Failed/, esc(r.outcome)),
      num(r.payment), esc(r.reason || "")]), { id: "auction-ranking" }), "wide");
    html += card("Conditions", conditionsTable(s.conditions), "wide");
    return html + `</div>` + await objectSection("Auction", ns, name, a);
  },

  async circuitpools(params) {
    const { page, html } = await listPage("CircuitPool", "circuitpools", params);
    return `<h1>Circuit pools</h1>` + html + card(`Pools (${page.total})`, table(["Pool", "Hops", "Ready circuits", "Wanted", "Lifetime", "Ready"], page.items.map(p => [
      link("CircuitPool", p.namespace, p.name), num(p.hops), num(p.readyCircuits), num(p.wanted), esc(p.lifetime), condPill(p.ready)])));
  },

  async circuitpool([ns, name]) {
    const p = await request(objectPath("CircuitPool", ns, name));
    const s = p.status || {}, circuits = s.circuits || [];
    let html = `<h1>Circuit pool ${esc(ns)}/${esc(name)} ${condPill((s.conditions || []).find(c => c.type === "Ready"))}</h1><div class="grid">`;
    html += card("Circuits", circuits.length ? circuitGraph(circuits) : `<p class="muted">${s.conditions ? "No circuits built." : "Nothing has reconciled this pool yet."}</p>`, "wide");
    html += card("Circuit list", table(["Circuit", "Relays", "Health", "Age", "Expires", "Bytes"], circuits.map(c => [esc(c.id || c.name || ""),
      relaysOf(c).map(r => link("FogNode", "", r)).join(" → "), phasePill(c.health || "-"), ago(c.built), ago(c.expires), num(c.bytesRelayed, 0)])), "wide");
    html += card("Conditions", conditionsTable(s.conditions), "wide");
    return html + `</div>` + await objectSection("CircuitPool", ns, name, p);
  },

  async gitsources(params) {
    const { page, html } = await listPage("GitSource", "gitsources", params);
    return `<h1>GitSources</h1>` + html + card(`Sources (${page.total})`, table(["Source", "URL", "Ready", "Applied revision", "Objects", "Last applied"], page.items.map(g => [
      link("GitSource", g.namespace, g.name, `${g.namespace}/${g.name}`), esc(g.url), condPill(g.ready), esc((g.lastAppliedRevision || "-").slice(0, 12)),
      num(g.inventoryCount), ago(g.lastAppliedTime)])));
  },

  async gitsource([ns, name]) {
    const g = await request(objectPath("GitSource", ns, name));
    const s = g.status || {};
    let html = `<h1>GitSource ${esc(ns)}/${esc(name)} ${condPill((s.conditions || []).find(c => c.type === "Ready"))}</h1><div class="grid">`;
    html += card("Sync", `<dl class="kv"><dt>URL</dt><dd>${esc(g.spec.url)}</dd><dt>Applied</dt><dd>${esc(s.lastAppliedRevision || "-")} (${ago(s.lastAppliedTime)})</dd>
      <dt>Fetched</dt><dd>${esc(s.lastFetchedRevision || "-")} (${ago(s.lastFetchTime)})</dd><dt>Drift repairs</dt><dd>${num(s.driftRepairs)}</dd></dl>`);
    html += card("Errors", table(["File", "Line", "Column", "Field", "Message"], (s.errors || []).map(e => [esc(e.file), num(e.line), num(e.column), esc(e.path || ""), esc(e.message)]), { id: "gitsource-errors" }), "wide");
    html += card("Inventory", table(["Kind", "Namespace", "Name"], (s.inventory || []).map(i => typeof i === "string" ? [esc(i), "", ""] : [esc(i.kind), esc(i.namespace || ""), link(i.kind, i.namespace, i.name)])), "wide");
    html += card("Conditions", conditionsTable(s.conditions), "wide");
    return html + `</div>` + await objectSection("GitSource", ns, name, g);
  },

  async events(params) {
    const q = new URLSearchParams(params);
    const res = await request("/ui/api/events?limit=200" + ["kind", "namespace", "name"].filter(k => q.get(k)).map(k => `&${k}=${encodeURIComponent(q.get(k))}`).join(""));
    return `<h1>Events</h1>` + card(`${res.total} events (newest 200)`, eventsTable(res.items));
  },

  async object([kind, ns, name]) {
    return `<h1>${esc(kind)} ${esc(ns ? ns + "/" : "")}${esc(name)}</h1>` + await objectSection(kind, ns, name, await request(objectPath(kind, ns, name)));
  },
};

// One page of a kind from the server (namespace and label selector filters, 50 a page).
async function listPage(kind, route, params) {
  const q = new URLSearchParams(params);
  const limit = 50, offset = Number(q.get("offset") || 0);
  const page = await request(`/ui/api/list?kind=${kind}&limit=${limit}&offset=${offset}` + ["namespace", "labelSelector"].filter(k => q.get(k)).map(k => `&${k}=${encodeURIComponent(q.get(k))}`).join(""));
  const nav = o => { const p = new URLSearchParams(q); p.set("offset", String(Math.max(0, o))); return `#/${route}?` + p.toString(); };
  const html = `<form class="filters" data-route="${route}"><input name="namespace" placeholder="namespace" value="${esc(q.get("namespace") || "")}">
    <input name="labelSelector" placeholder="label selector (app=digits,tier!=small)" size="34" value="${esc(q.get("labelSelector") || "")}"><button type="submit">Filter</button>
    <span class="muted">${page.total ? `${page.offset + 1}–${page.offset + page.items.length} of ${page.total}` : "none"}</span>
    ${offset > 0 ? `<a href="${nav(offset - limit)}">‹ previous</a>` : ""} ${offset + limit < page.total ? `<a href="${nav(offset + limit)}">next ›</a>` : ""}</form>`;
  return { page, html };
}

function relaysOf(c) { return (c.relays || c.path || c.hops || []).map(r => typeof r === "string" ? r : r.node || r.name || ""); }
function circuitGraph(circuits) {
  const hops = Math.max(...circuits.map(c => relaysOf(c).length), 1), w = 180 + hops * 170, rowH = 46, h = circuits.length * rowH + 20;
  let svg = `<svg id="circuit-graph" role="img" aria-label="circuits" viewBox="0 0 ${w} ${h}" width="100%" style="max-width:${w}px">`;
  circuits.forEach((c, i) => {
    const y = 20 + i * rowH, relays = relaysOf(c), healthy = !/fail|unhealthy|broken|false/i.test(String(c.health || c.state || ""));
    const colour = healthy ? "#1a7f37" : "#c62828";
    svg += `<text x="4" y="${y + 4}">${esc(c.id || c.name || "circuit " + (i + 1))}</text>`;
    relays.forEach((r, k) => {
      const x = 150 + k * 170;
      if (k) svg += `<line x1="${x - 110}" y1="${y}" x2="${x - 10}" y2="${y}" stroke="${colour}" stroke-width="2"/>`;
      svg += `<circle cx="${x}" cy="${y}" r="8" fill="${colour}"><title>${esc(r)}</title></circle><text x="${x + 12}" y="${y + 4}">${esc(r)}</text>`;
    });
  });
  return svg + "</svg>";
}
function conditionsTable(cs) {
  return table(["Type", "Status", "Reason", "Since", "Message"], (cs || []).map(c => [esc(c.type), phasePill(c.status), esc(c.reason), ago(c.lastTransitionTime), esc(c.message)]));
}
function eventsTable(items) {
  return table(["When", "Type", "Reason", "Object", "Message"], items.map(e => [ago(e.time), e.type === "Warning" ? pill("Warning", "warn") : pill(e.type || "Normal"), esc(e.reason),
    e.object ? link(e.object.kind, e.object.namespace, e.object.name, `${String(e.object.kind || "").toLowerCase()}/${e.object.name}`) : "", esc(e.message)]), { id: "events-table" });
}

// Every object: its YAML, what its last apply changed (from the store's retained history), and a
// plan: edit the spec, ask the server for a dry run, see the diff before applying.
async function objectSection(kind, ns, name, obj) {
  let history = null;
  try { history = await request(`/ui/api/history?kind=${encodeURIComponent(kind)}&namespace=${encodeURIComponent(ns || "")}&name=${encodeURIComponent(name)}`); } catch (e) { history = null; }
  const versions = (history && history.versions) || [];
  let changes = `<p class="muted">The store's log no longer holds an earlier version (compacted), or the object has had one generation.</p>`;
  if (versions.length >= 2) {
    const a = versions[versions.length - 2], b = versions[versions.length - 1];
    changes = `<p>Generation ${a.generation} → ${b.generation}</p>` + renderDiff(toYAML({ labels: a.labels, annotations: a.annotations, spec: a.spec }), toYAML({ labels: b.labels, annotations: b.annotations, spec: b.spec }));
  }
  const editable = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: Object.assign({ name: obj.metadata.name }, obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {},
    obj.metadata.labels ? { labels: obj.metadata.labels } : {}, obj.metadata.annotations ? { annotations: obj.metadata.annotations } : {}), spec: obj.spec };
  const id = "plan-" + Math.random().toString(36).slice(2);
  setTimeout(() => {
    const btn = document.getElementById(id + "-run");
    if (!btn) return;
    btn.onclick = async () => {
      state.dirty = true;
      const out = document.getElementById(id + "-out");
      let edited;
      try { edited = JSON.parse(document.getElementById(id).value); } catch (e) { out.innerHTML = `<p class="error">Not JSON: ${esc(e.message)}</p>`; return; }
      try {
        const res = await request(`${API}/apply?dryRun=true`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(edited) });
        const after = (res.items || [])[0] || {};
        out.innerHTML = `<p>Dry run: <b>${esc(after.action)}</b></p>` + renderDiff(toYAML({ metadata: pick(obj.metadata), spec: obj.spec }), toYAML({ metadata: pick(after.object.metadata), spec: after.object.spec }));
      } catch (e) {
        const causes = ((e.body || {}).details || {}).causes || [];
        out.innerHTML = `<p class="error">${esc(e.message)}</p>` + (causes.length ? `<ul>${causes.map(c => `<li class="error">${esc(c.field || "")} ${esc(c.message)}</li>`).join("")}</ul>` : "");
      }
    };
  }, 0);
  return `<div class="grid" style="margin-top:1rem">` + card("YAML", `<pre id="object-yaml">${esc(toYAML(obj))}</pre>`) +
    card("What the last apply changed", changes) +
    card("Plan a change (server-side dry run)", `<textarea id="${id}" spellcheck="false">${esc(JSON.stringify(editable, null, 2))}</textarea>
      <p><button id="${id}-run" type="button">Plan</button> <span class="muted">Nothing is written: the server validates and computes the result, then the diff against the live object is shown.</span></p>
      <div id="${id}-out"></div>`, "wide") + `</div>`;
}
function pick(m) { return { name: m.name, namespace: m.namespace, labels: m.labels, annotations: m.annotations }; }

// ---- live updates ------------------------------------------------------------------------
// A page follows the kinds it shows through one stream (/ui/api/watch: notices of changes,
// newline-delimited JSON, from the revision the page was drawn at) and redraws in place, at
// most every 400 ms, without a reload. A dropped stream is reopened from the last revision seen
// (backoff 0.5 s doubling to 8 s); the header says "live" or "reconnecting". A page whose plan
// is being edited or shows a result is left alone until you navigate.
const liveKinds = { overview: ["FogNode", "FederatedJob", "Auction", "CircuitPool", "GitSource", "Event"], nodes: ["FogNode"], node: ["FogNode"],
  jobs: ["FederatedJob"], job: ["FederatedJob", "Event"], auctions: ["Auction"], auction: ["Auction", "Bid"], circuitpools: ["CircuitPool"],
  circuitpool: ["CircuitPool", "FogNode"], gitsources: ["GitSource"], gitsource: ["GitSource"], events: ["Event"], object: [] };

function liveStatus(text, kind) {
  const el = document.getElementById("live");
  if (el) { el.textContent = text; el.className = "pill " + (kind || ""); }
}
function follow(page) {
  if (state.live) state.live.abort();
  const kinds = (liveKinds[page] || []).filter(k => state.kinds[k]);
  if (!kinds.length) { liveStatus(""); return; }
  state.live = new AbortController();
  stream(kinds, state.live.signal, 500);
}
async function stream(kinds, signal, backoff) {
  const headers = {};
  const token = sessionStorage.getItem("fog-token");
  if (token) headers.Authorization = "Bearer " + token;
  let opened = false;
  try {
    const res = await fetch(`/ui/api/watch?kinds=${kinds.join(",")}&resourceVersion=${state.revision}`, { headers, signal });
    if (res.ok && res.body) {
      opened = true;
      liveStatus("live", "ok");
      const reader = res.body.getReader(), decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let i;
        while ((i = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, i).trim();
          buffer = buffer.slice(i + 1);
          if (!line) continue;
          const event = JSON.parse(line);
          if (event.type === "ERROR") {
            // Compacted past our revision: read the current one and draw afresh.
            const d = await request(API);
            state.revision = d.metadata.resourceVersion;
            changed();
            continue;
          }
          if (event.resourceVersion && Number(event.resourceVersion) > Number(state.revision)) state.revision = event.resourceVersion;
          if (event.type !== "BOOKMARK") changed();
        }
      }
    }
  } catch (e) {
    if (e.name === "AbortError") return;
  }
  if (signal.aborted) return;
  liveStatus("reconnecting", "warn");
  const wait = opened ? 500 : backoff;
  setTimeout(() => { if (!signal.aborted) stream(kinds, signal, Math.min(8000, wait * 2)); }, wait);
}
function changed() {
  if (state.timer || state.dirty) return;
  const wait = Math.max(0, 400 - (Date.now() - state.last));
  state.timer = setTimeout(() => { state.timer = null; state.last = Date.now(); render(false); }, wait);
}

// ---- router ------------------------------------------------------------------------------

async function route() { state.dirty = false; await render(true); }

async function render(navigated) {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, query] = hash.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const name = parts[0] || "overview";
  document.querySelectorAll("[data-nav]").forEach(a => a.classList.toggle("active", a.dataset.nav === name || a.dataset.nav + "s" === name || name === a.dataset.nav.replace(/s$/, "")));
  const main = document.getElementById("main");
  const page = pages[name];
  if (!page) { main.innerHTML = `<p class="error">No page ${esc(name)}.</p>`; return; }
  try {
    const withQuery = ["nodes", "events", "jobs", "auctions", "circuitpools", "gitsources"].includes(name);
    const html = await page(withQuery ? Object.fromEntries(new URLSearchParams(query || "")) : parts.slice(1));
    if (!navigated && state.dirty) return;
    const scroll = window.scrollY;
    main.innerHTML = html;
    if (!navigated) window.scrollTo(0, scroll);
    main.dataset.page = name;
    main.dataset.rendered = String(Math.round(performance.now()));
    main.dataset.renders = String(Number(main.dataset.renders || 0) + 1);
    document.querySelectorAll("textarea").forEach(t => t.addEventListener("input", () => { state.dirty = true; }));
    if (navigated) follow(name);
    document.querySelectorAll("form[data-route]").forEach(f => f.onsubmit = ev => {
      ev.preventDefault();
      const p = new URLSearchParams();
      for (const [k, v] of new FormData(f)) if (v) p.set(k, v);
      location.hash = `#/${f.dataset.route}?` + p.toString();
    });
    const form = document.getElementById("node-filters");
    if (form) form.onsubmit = ev => {
      ev.preventDefault();
      const p = new URLSearchParams();
      for (const [k, v] of new FormData(form)) if (v) p.set(k, v);
      location.hash = "#/nodes?" + p.toString();
    };
  } catch (e) {
    main.innerHTML = `<p class="error" id="page-error">${e.status === 403 ? "Your token may not read this." : e.status === 404 ? "Not found." : esc(e.message)}</p>`;
    main.dataset.page = name;
  }
}

async function start() {
  const discovery = await request(API);
  for (const r of discovery.resources) state.kinds[r.kind] = r;
  state.revision = discovery.metadata.resourceVersion;
  document.getElementById("who").textContent = `revision ${discovery.metadata.resourceVersion}`;
  window.addEventListener("hashchange", route);
  await route();
}
start().catch(e => { window.fogErrors.push(e.message); document.getElementById("main").innerHTML = `<p class="error">${esc(e.message)}</p>`; });
