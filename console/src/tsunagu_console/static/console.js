// The recruiter console: plain JavaScript on Tsunagu's public APIs, reached through /api/<service>/.
"use strict";

const state = { token: null, recruiterId: null, companyId: null, profileId: null, campaignId: null };
const $ = (id) => document.getElementById(id);

function showError(text) {
  const box = $("error");
  box.textContent = text;
  box.hidden = false;
}
function clearError() { $("error").hidden = true; $("error").textContent = ""; }
function notice(text) { const box = $("notice"); box.textContent = text; box.hidden = !text; }

// The API's own detail text: a string, or FastAPI's list of {loc, msg}.
function describe(status, body) {
  let detail = body && body.detail !== undefined ? body.detail : body;
  if (Array.isArray(detail)) {
    detail = detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("\n");
  } else if (typeof detail !== "string") {
    detail = JSON.stringify(detail);
  }
  return `Error ${status}: ${detail}`;
}

async function api(method, path, { json, form, raw } = {}) {
  clearError();
  const headers = {};
  if (state.token) headers["Authorization"] = `Bearer ${state.token}`;
  let body;
  if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  if (form !== undefined) body = form;
  let response;
  try {
    response = await fetch(path, { method, headers, body });
  } catch (err) {
    showError(`Error: the console cannot be reached (${err})`);
    throw err;
  }
  if (!response.ok) {
    let parsed;
    try { parsed = await response.json(); } catch (_) { parsed = await response.text().catch(() => ""); }
    const text = describe(response.status, parsed);
    showError(text);
    throw new Error(text);
  }
  if (raw) return response;
  return response.status === 204 ? null : response.json();
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "onclick") node.addEventListener("click", v); else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { recruiter_id: $("login-recruiter").value.trim(), company_id: $("login-company").value.trim() };
  const login = await api("POST", "/dev/login", { json: body });
  Object.assign(state, { token: login.token, recruiterId: login.recruiter_id, companyId: login.company_id });
  try {
    const company = await api("GET", "/api/scout/companies/me");
    $("who").textContent = `${login.recruiter_id} @ ${company.name} (development login)`;
  } catch (_) {
    $("who").textContent = `${login.recruiter_id} @ ${login.company_id} (development login)`;
  }
  $("login-section").hidden = true;
  $("app").hidden = false;
});

$("search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const query = new URLSearchParams({ limit: "50" });
  if ($("search-industry").value) query.set("industry", $("search-industry").value);
  if ($("search-year").value) query.set("graduation_year", $("search-year").value);
  if ($("search-stage").value) query.set("stage", $("search-stage").value);
  const page = await api("GET", `/api/profile/profiles?${query}`);
  const list = $("results");
  list.replaceChildren();
  for (const p of page.items) {
    list.append(el("li", { "data-candidate": p.candidate_id },
      `${p.display_name} — ${p.school || ""} ${p.graduation_year || ""} `,
      el("button", { type: "button", class: "open-profile", onclick: () => openProfile(p.candidate_id) }, "Open")));
  }
  if (!page.items.length) list.append(el("li", {}, "No students match."));
});

async function openProfile(candidateId) {
  const p = await api("GET", `/api/profile/profiles/${encodeURIComponent(candidateId)}`);
  state.profileId = candidateId;
  $("profile-name").textContent = p.display_name;
  const details = $("profile-details");
  details.replaceChildren();
  const rows = [["School", `${p.school || ""} ${p.faculty || ""}`], ["Graduation", p.graduation_year],
    ["Industries", (p.industries || []).join(", ")], ["Self-PR", p.self_pr],
    ["Selection progress", (p.selection_progress || []).map((s) => `${s.company_name}: ${s.stage}`).join("; ")]];
  for (const [k, v] of rows) details.append(el("dt", {}, k), el("dd", {}, String(v ?? "")));
  $("profile-section").hidden = false;
  notice("");
}

$("scout-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const scout = await api("POST", "/api/scout/scouts", {
    json: { candidate_id: state.profileId, reason: $("scout-reason").value, tier: $("scout-tier").value } });
  notice(`Scout sent to ${$("profile-name").textContent} (${scout.scout_id}).`);
});

$("threads-refresh").addEventListener("click", async () => {
  const threads = await api("GET", "/api/messaging/threads");
  const box = $("threads");
  box.replaceChildren();
  for (const t of threads) {
    const messages = await api("GET", `/api/messaging/threads/${encodeURIComponent(t.thread_id)}/messages`);
    const block = el("div", { class: "thread", "data-thread": t.thread_id },
      el("h3", {}, `${t.candidate_id} — ${t.status}, unread ${t.unread}`));
    for (const m of messages) {
      block.append(el("div", { class: `message ${m.sender_role}` }, `${m.sender_role === "candidate" ? "Student" : "You"}: ${m.body}`));
    }
    box.append(block);
  }
  if (!threads.length) box.append(el("p", {}, "No conversations yet."));
});

$("signals-refresh").addEventListener("click", async () => {
  const signals = await api("GET", "/api/scout/companies/me/signals");
  const list = $("signals");
  list.replaceChildren();
  for (const s of signals) list.append(el("li", {}, `${s.candidate_id} asked to be scouted (${s.requested_at || ""})`));
  if (!signals.length) list.append(el("li", {}, "No requests."));
});

$("campaign-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData();
  form.append("file", $("campaign-file").files[0]);
  form.append("name", $("campaign-name").value);
  if ($("campaign-mapping").value) form.append("mapping", $("campaign-mapping").value);
  if ($("campaign-deadline").value) form.append("deadline", new Date($("campaign-deadline").value).toISOString());
  $("campaign-export").hidden = true;
  const job = await api("POST", "/api/scout/campaigns", { form });
  state.campaignId = job.campaign_id;
  await watch(job);
});

async function watch(job) {
  for (let i = 0; i < 600; i++) {
    $("campaign-progress").textContent = `Import ${job.status}: ${job.rows_done}/${job.rows_total} rows `
      + `(${job.rows_imported} imported, ${job.rows_failed} failed)`;
    const errors = $("campaign-errors");
    errors.replaceChildren(...(job.errors || []).map((e) => el("li", {}, `row ${e.row} ${e.field || ""}: ${e.message}`)));
    if (job.status !== "running") break;
    await new Promise((r) => setTimeout(r, 500));
    job = await api("GET", `/api/scout/campaigns/${encodeURIComponent(job.campaign_id)}`);
  }
  $("campaign-export").hidden = job.status !== "completed";
}

$("campaign-export").addEventListener("click", async () => {
  const response = await api("GET", `/api/scout/campaigns/${encodeURIComponent(state.campaignId)}/export`, { raw: true });
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: `${state.campaignId}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
});
