// The recruiter console: plain JavaScript on Tsunagu's public APIs, reached through /api/<service>/.
// No token here: the console keeps it, behind an HttpOnly session cookie. Changes carry the
// session's CSRF token.
"use strict";

const state = {
  csrf: null, recruiterId: null, companyId: null, profileId: null, campaignId: null,
  cursors: [null], page: 0, names: new Map(), csvHeaders: [],
};
const $ = (id) => document.getElementById(id);

// --- words -------------------------------------------------------------------------------------
const WORDS = {
  ja: {
    title: "Tsunagu 採用担当者コンソール", language: "表示言語", sign_out: "サインアウト", sign_in: "サインイン",
    sign_in_company: "会社のアカウントでサインイン", recruiter_id: "採用担当者 ID", company_id: "会社 ID",
    dev_login_note: "開発用ログイン(ローカル・テスト環境のみ)。本番では会社のアカウントでサインインします。",
    tab_search: "学生を探す", tab_sent: "送信済みスカウト", tab_threads: "メッセージ", tab_signals: "スカウト希望",
    tab_campaigns: "ATS 取り込み", keywords: "キーワード", industry: "業界", graduation_year: "卒業年度",
    stage: "他社での選考段階", sort: "並び順", sort_last_active: "最近ログイン順", sort_newest: "新着順",
    search: "検索", name: "氏名", school: "学校", previous: "前へ", next: "次へ", open: "開く", page: "ページ",
    why_her: "この学生に送る理由 (プロフィールのどこに惹かれたか)", tier: "種別", tier_regular: "通常",
    what_in_her_profile: "理由がプロフィールの言葉を含まないとき: プロフィールのどこを見て書いたか",
    tier_premium: "プレミアム", send_scout: "スカウトを送る", refresh: "更新", state: "状態", sent_at: "送信日時",
    expires_at: "期限", campaign_name: "キャンペーン名", csv_file: "CSV ファイル", respond_by: "回答期限",
    upload: "取り込む", download_export: "結果 CSV をダウンロード", any: "指定なし", faculty: "学部",
    self_pr: "自己 PR", skills: "職種", selection: "他社での選考状況", quota_left: "今月の残り",
    awaiting: "返信待ち", no_students: "条件に合う学生はいません。", no_threads: "まだメッセージはありません。",
    no_requests: "スカウト希望はありません。", no_scouts: "まだスカウトを送っていません。",
    scout_sent: "スカウトを送りました", student: "学生", you: "あなた", reply: "返信", send: "送信",
    interview: "面接日程を提案", slot: "候補日時", location: "場所・URL", propose: "提案する",
    offer: "内定を出す", terms: "条件", make_offer: "内定を送る", interviews: "面接", offers: "内定",
    unread: "未読", asked: "がスカウトを希望しています", header_maps_to: "列の意味", ignore: "使わない",
    preview: "先頭の行", import_state: "取り込み", rows: "行", imported: "件取り込み", failed: "件エラー",
    row: "行", error: "エラー", unreachable: "コンソールに接続できません",
  },
  en: {
    title: "Tsunagu recruiter console", language: "Language", sign_out: "Sign out", sign_in: "Sign in",
    sign_in_company: "Sign in with your company account", recruiter_id: "Recruiter id", company_id: "Company id",
    dev_login_note: "Development login — local and test stacks only. Production recruiters sign in with their company account.",
    tab_search: "Find students", tab_sent: "Sent scouts", tab_threads: "Messages", tab_signals: "Scout requests",
    tab_campaigns: "ATS import", keywords: "Keywords", industry: "Industry", graduation_year: "Graduation year",
    stage: "Stage reached elsewhere", sort: "Sort", sort_last_active: "Recently active", sort_newest: "Newest",
    search: "Search", name: "Name", school: "School", previous: "Previous", next: "Next", open: "Open", page: "Page",
    why_her: "Why this student (what in her profile made you write)", tier: "Tier", tier_regular: "Regular",
    what_in_her_profile: "If the reason uses none of her profile's words: what in her profile made you write",
    tier_premium: "Premium", send_scout: "Send scout", refresh: "Refresh", state: "State", sent_at: "Sent",
    expires_at: "Expires", campaign_name: "Campaign name", csv_file: "CSV file", respond_by: "Respond by",
    upload: "Upload", download_export: "Download export CSV", any: "Any", faculty: "Faculty", self_pr: "Self-PR",
    skills: "Job types", selection: "Selection progress elsewhere", quota_left: "Left this month",
    awaiting: "awaiting a reply", no_students: "No students match.", no_threads: "No conversations yet.",
    no_requests: "No requests.", no_scouts: "No scouts sent yet.", scout_sent: "Scout sent", student: "Student",
    you: "You", reply: "Reply", send: "Send", interview: "Propose interview times", slot: "Time",
    location: "Place or URL", propose: "Propose", offer: "Make an offer", terms: "Terms", make_offer: "Send offer",
    interviews: "Interviews", offers: "Offers", unread: "unread", asked: "asked to be scouted",
    header_maps_to: "Column means", ignore: "not used", preview: "First rows", import_state: "Import",
    rows: "rows", imported: "imported", failed: "failed", row: "row", error: "Error",
    unreachable: "the console cannot be reached",
  },
};
const LABELS = {
  ja: {
    applied: "応募", document_screening: "書類選考", aptitude_test: "適性検査", first_interview: "一次面接",
    second_interview: "二次面接", third_interview: "三次面接", final_interview: "最終面接", offer: "内定",
    awaiting: "返信待ち", replied: "返信あり", declined: "辞退", expired: "期限切れ", withdrawn: "取り下げ",
    open: "やりとり中", closed: "終了", proposed: "提案中", chosen: "確定", cancelled: "キャンセル",
    accepted: "承諾", lapsed: "期限切れ", robotics: "ロボティクス", software: "ソフトウェア", finance: "金融",
    manufacturing: "製造", consulting: "コンサルティング", retail: "小売", media: "メディア", travel: "旅行",
    healthcare: "医療", food: "食品", energy: "エネルギー", education: "教育", gaming: "ゲーム", trading: "商社",
    name: "氏名", email: "メールアドレス", phone: "電話番号", candidate_id: "学生 ID", regular: "通常",
    premium: "プレミアム", running: "処理中", completed: "完了",
  },
  en: {},
};
let lang = localStorage.getItem("tsunagu.console.language") || "ja";
const t = (key) => WORDS[lang][key] ?? WORDS.en[key] ?? key;
// A readable label for a value of the API (stage, state, industry tag, field): never the raw enum.
const label = (value) => (value == null ? "" : LABELS[lang][value]
  ?? String(value).replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase()));
const when = (iso) => (iso ? new Date(iso).toLocaleString(lang === "ja" ? "ja-JP" : "en-GB",
  { dateStyle: "medium", timeStyle: "short" }) : "");

function translate() {
  document.documentElement.lang = lang;
  document.title = `Tsunagu — ${t("title")}`;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  $("language").value = lang;
  fillSelect($("search-industry"), ["", "robotics", "software", "finance", "manufacturing", "consulting", "retail",
    "media", "healthcare", "energy", "education", "gaming", "trading"]);
  fillSelect($("search-stage"), ["", "applied", "document_screening", "aptitude_test", "first_interview",
    "second_interview", "third_interview", "final_interview", "offer"]);
}

function fillSelect(select, values) {
  const chosen = select.value;
  select.replaceChildren(...values.map((v) => el("option", { value: v }, v ? label(v) : t("any"))));
  select.value = chosen;
}

$("language").addEventListener("change", () => {
  lang = $("language").value;
  localStorage.setItem("tsunagu.console.language", lang);
  translate();
});

// --- plumbing ----------------------------------------------------------------------------------
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
  return `${t("error")} ${status}: ${detail}`;
}

async function api(method, path, { json, form, raw } = {}) {
  clearError();
  const headers = {};
  if (method !== "GET" && state.csrf) headers["X-CSRF-Token"] = state.csrf;
  let body;
  if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  if (form !== undefined) body = form;
  let response;
  try {
    response = await fetch(path, { method, headers, body, credentials: "same-origin" });
  } catch (err) {
    showError(`${t("error")}: ${t("unreachable")} (${err})`);
    throw err;
  }
  if (response.status === 401 && path.startsWith("/api/")) {
    window.location.reload();  // the session ended: back to the sign-in
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

// A student's name for a candidate id (threads and scouts carry ids), looked up once.
async function nameOf(candidateId) {
  if (!state.names.has(candidateId)) {
    try {
      const p = await api("GET", `/api/profile/profiles/${encodeURIComponent(candidateId)}`);
      state.names.set(candidateId, p.display_name);
    } catch (_) {
      clearError();
      state.names.set(candidateId, candidateId);  // erased or hidden from this company
    }
  }
  return state.names.get(candidateId);
}

// --- signing in --------------------------------------------------------------------------------
async function enter(session) {
  Object.assign(state, { csrf: session.csrf_token, recruiterId: session.recruiter_id, companyId: session.company_id });
  let company = session.company_id;
  try { company = (await showQuota()).name; } catch (_) { /* shown by api() */ }
  $("who").textContent = `${session.name || session.recruiter_id} @ ${company}`;
  $("login-section").hidden = true;
  $("sign-out").hidden = false;
  $("app").hidden = false;
}

async function start() {
  translate();
  const answer = await fetch("/session", { credentials: "same-origin" });
  if (answer.ok) return enter(await answer.json());
  const options = await (await fetch("/sign-in/options")).json();
  $("idp-sign-in").hidden = !options.identity_provider;
  $("dev-login").hidden = !options.development_login;
  $("login-section").hidden = false;
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { recruiter_id: $("login-recruiter").value.trim(), company_id: $("login-company").value.trim() };
  await api("POST", "/dev/login", { json: body });
  await enter(await api("GET", "/session"));
});

$("sign-out").addEventListener("click", async () => {
  await api("POST", "/sign-out");
  window.location.reload();
});

for (const button of document.querySelectorAll("nav [data-tab]")) {
  button.addEventListener("click", () => {
    for (const tab of document.querySelectorAll(".tab")) tab.hidden = tab.id !== button.dataset.tab;
    const refresh = { "sent-section": "sent-refresh", "threads-section": "threads-refresh",
      "signals-section": "signals-refresh" }[button.dataset.tab];
    if (refresh) $(refresh).click();
  });
}

async function showQuota() {
  const company = await api("GET", "/api/scout/companies/me");
  const quota = company.plan.monthly_quota || {};
  const used = company.quota_used || {};
  const left = Object.keys(quota).map((tier) => `${label(tier)} ${Math.max(0, quota[tier] - (used[tier] || 0))}`);
  $("quota").textContent = `${t("quota_left")}: ${left.join(" / ")} · ${t("awaiting")} ${company.awaiting}`;
  return company;
}

// --- search ------------------------------------------------------------------------------------
async function search() {
  const query = new URLSearchParams({ limit: "20", sort: $("search-sort").value });
  for (const [param, id] of [["q", "search-q"], ["industry", "search-industry"],
    ["graduation_year", "search-year"], ["stage", "search-stage"]]) {
    if ($(id).value.trim()) query.set(param, $(id).value.trim());
  }
  const cursor = state.cursors[state.page];
  if (cursor) query.set("cursor", cursor);
  const page = await api("GET", `/api/profile/profiles?${query}`);
  state.cursors[state.page + 1] = page.next_cursor;
  const rows = $("results");
  rows.replaceChildren();
  for (const p of page.items) {
    state.names.set(p.candidate_id, p.display_name);
    rows.append(el("tr", { "data-candidate": p.candidate_id },
      el("td", {}, p.display_name), el("td", {}, `${p.school || ""} ${p.faculty || ""}`),
      el("td", {}, String(p.graduation_year || "")), el("td", {}, (p.industries || []).map(label).join("、")),
      el("td", {}, el("button", { type: "button", class: "open-profile", onclick: () => openProfile(p.candidate_id) },
        t("open")))));
  }
  if (!page.items.length) rows.append(el("tr", {}, el("td", { colspan: "5" }, t("no_students"))));
  $("page-previous").hidden = state.page === 0;
  $("page-next").hidden = !page.next_cursor;
  $("page-number").textContent = `${t("page")} ${state.page + 1}`;
}

$("search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  Object.assign(state, { cursors: [null], page: 0 });
  await search();
});
$("page-next").addEventListener("click", async () => { state.page += 1; await search(); });
$("page-previous").addEventListener("click", async () => { state.page = Math.max(0, state.page - 1); await search(); });

async function openProfile(candidateId) {
  const p = await api("GET", `/api/profile/profiles/${encodeURIComponent(candidateId)}`);
  state.profileId = candidateId;
  $("profile-name").textContent = p.display_name;
  const details = $("profile-details");
  details.replaceChildren();
  const rows = [["school", p.school], ["faculty", p.faculty], ["graduation_year", p.graduation_year],
    ["industry", (p.industries || []).map(label).join("、")], ["skills", (p.job_types || []).map(label).join("、")],
    ["self_pr", p.self_pr],
    ["selection", (p.selection_progress || []).map((s) => `${s.company_name}: ${label(s.stage)}`).join("; ")]];
  for (const [k, v] of rows) details.append(el("dt", {}, t(k)), el("dd", {}, String(v ?? "")));
  $("profile-section").hidden = false;
  notice("");
}

$("scout-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const scout = { candidate_id: state.profileId, reason: $("scout-reason").value, tier: $("scout-tier").value };
  if ($("scout-what").value.trim()) scout.what_in_her_profile = $("scout-what").value.trim();
  await api("POST", "/api/scout/scouts", { json: scout });
  notice(`${t("scout_sent")}: ${$("profile-name").textContent}`);
  $("scout-reason").value = "";
  $("scout-what").value = "";
  await showQuota();
});

// --- sent scouts -------------------------------------------------------------------------------
$("sent-refresh").addEventListener("click", async () => {
  const scouts = await api("GET", "/api/scout/scouts/sent");
  const rows = $("sent");
  rows.replaceChildren();
  for (const s of scouts) {
    rows.append(el("tr", { "data-scout": s.scout_id }, el("td", {}, await nameOf(s.candidate_id)),
      el("td", { class: `state ${s.state}` }, label(s.state)), el("td", {}, when(s.sent_at)),
      el("td", {}, when(s.expires_at)), el("td", {}, label(s.tier))));
  }
  if (!scouts.length) rows.append(el("tr", {}, el("td", { colspan: "5" }, t("no_scouts"))));
});

// --- conversations -----------------------------------------------------------------------------
async function showThread(thread) {
  const id = encodeURIComponent(thread.thread_id);
  const [messages, interviews, offers] = await Promise.all([
    api("GET", `/api/messaging/threads/${id}/messages`), api("GET", `/api/messaging/threads/${id}/interviews`),
    api("GET", `/api/messaging/threads/${id}/offers`)]);
  const name = await nameOf(thread.candidate_id);
  const block = el("article", { class: "thread", "data-thread": thread.thread_id },
    el("h3", {}, `${name} — ${label(thread.status)}${thread.unread ? ` · ${t("unread")} ${thread.unread}` : ""}`));
  for (const m of messages) {
    block.append(el("div", { class: `message ${m.sender_role}` },
      `${m.sender_role === "candidate" ? name : t("you")}: ${m.body}`));
  }
  for (const i of interviews) {
    block.append(el("p", { class: "interview" }, `${t("interviews")}: ${label(i.state || i.status)} `
      + (i.slots || []).map((s) => when(s.starts_at)).join(" / ")));
  }
  for (const o of offers) block.append(el("p", { class: "offer" }, `${t("offers")}: ${label(o.state || o.status)}`));

  const reply = el("textarea", { rows: "2", class: "reply-body" });
  block.append(el("form", { class: "reply" }, el("label", {}, t("reply"), reply),
    el("button", { type: "button", class: "reply-send", onclick: async () => {
      await api("POST", `/api/messaging/threads/${id}/messages`, { json: { body: reply.value } });
      await refreshThreads();
    } }, t("send"))));

  const slots = [0, 1, 2].map(() => el("input", { type: "datetime-local", class: "slot" }));
  const place = el("input", { class: "interview-location" });
  block.append(el("details", {}, el("summary", {}, t("interview")),
    ...slots.map((s) => el("label", {}, t("slot"), s)), el("label", {}, t("location"), place),
    el("button", { type: "button", class: "interview-propose", onclick: async () => {
      const chosen = slots.filter((s) => s.value).map((s) => ({ starts_at: new Date(s.value).toISOString() }));
      await api("POST", `/api/messaging/threads/${id}/interviews`,
        { json: { slots: chosen, location: place.value || null } });
      await refreshThreads();
    } }, t("propose"))));

  const terms = el("textarea", { rows: "2", class: "offer-terms" });
  const respondBy = el("input", { type: "datetime-local", class: "offer-respond-by" });
  block.append(el("details", {}, el("summary", {}, t("offer")), el("label", {}, t("terms"), terms),
    el("label", {}, t("respond_by"), respondBy),
    el("button", { type: "button", class: "offer-send", onclick: async () => {
      await api("POST", `/api/messaging/threads/${id}/offers`,
        { json: { terms: terms.value, respond_by: new Date(respondBy.value).toISOString() } });
      await refreshThreads();
    } }, t("make_offer"))));
  return block;
}

async function refreshThreads() {
  const threads = await api("GET", "/api/messaging/threads");
  const box = $("threads");
  box.replaceChildren();
  for (const thread of threads) box.append(await showThread(thread));
  if (!threads.length) box.append(el("p", {}, t("no_threads")));
}
$("threads-refresh").addEventListener("click", refreshThreads);

$("signals-refresh").addEventListener("click", async () => {
  const signals = await api("GET", "/api/scout/companies/me/signals");
  const list = $("signals");
  list.replaceChildren();
  for (const s of signals) {
    list.append(el("li", {}, `${await nameOf(s.candidate_id)} ${t("asked")} (${when(s.requested_at)})`));
  }
  if (!signals.length) list.append(el("li", {}, t("no_requests")));
});

// --- ATS import --------------------------------------------------------------------------------
const FIELDS = ["", "name", "email", "phone", "candidate_id"];

// The first lines of a CSV, split as RFC 4180 says (quotes, doubled quotes, commas inside quotes).
function csvRows(text, limit) {
  const rows = [];
  let row = [], cell = "", quoted = false;
  for (let i = 0; i < text.length && rows.length < limit; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell); rows.push(row); row = []; cell = "";
    } else cell += c;
  }
  if ((cell || row.length) && rows.length < limit) { row.push(cell); rows.push(row); }
  return rows;
}

$("campaign-file").addEventListener("change", async () => {
  const file = $("campaign-file").files[0];
  const box = $("campaign-preview");
  box.replaceChildren();
  if (!file) return;
  const text = (await file.slice(0, 64 * 1024).text()).replace(/^\uFEFF/, "");
  const [headers = [], ...rows] = csvRows(text, 4);
  state.csvHeaders = headers;
  const known = { 氏名: "name", 名前: "name", メールアドレス: "email", メール: "email", 電話番号: "phone", 電話: "phone" };
  const head = el("tr", {}, ...headers.map((h, i) => el("th", {}, h, el("br"),
    (() => {
      const select = el("select", { class: "maps-to", "data-column": String(i), "aria-label": `${h}: ${t("header_maps_to")}` });
      for (const f of FIELDS) select.append(el("option", { value: f }, f ? label(f) : t("ignore")));
      select.value = known[h.trim()] || (FIELDS.includes(h.trim().toLowerCase()) ? h.trim().toLowerCase() : "");
      return select;
    })())));
  const body = rows.map((r) => el("tr", {}, ...headers.map((_, i) => el("td", {}, r[i] ?? ""))));
  box.append(el("p", {}, `${t("preview")} (${t("header_maps_to")})`), el("table", { id: "campaign-preview-table" },
    el("thead", {}, head), el("tbody", {}, ...body)));
});

function chosenMapping() {
  const mapping = {};
  for (const select of document.querySelectorAll("#campaign-preview select.maps-to")) {
    const header = state.csvHeaders[Number(select.dataset.column)];
    if (select.value && header !== select.value) mapping[header] = select.value;
  }
  return mapping;
}

$("campaign-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData();
  form.append("file", $("campaign-file").files[0]);
  form.append("name", $("campaign-name").value);
  const mapping = chosenMapping();
  if (Object.keys(mapping).length) form.append("mapping", JSON.stringify(mapping));
  if ($("campaign-deadline").value) form.append("deadline", new Date($("campaign-deadline").value).toISOString());
  $("campaign-export").hidden = true;
  const job = await api("POST", "/api/scout/campaigns", { form });
  state.campaignId = job.campaign_id;
  await watch(job);
});

async function watch(job) {
  const bar = $("campaign-bar");
  bar.hidden = false;
  for (let i = 0; i < 600; i++) {
    bar.max = Math.max(1, job.rows_total);
    bar.value = job.rows_done;
    $("campaign-progress").textContent = `${t("import_state")} ${label(job.status)}: ${job.rows_done}/${job.rows_total} `
      + `${t("rows")} (${job.rows_imported} ${t("imported")}, ${job.rows_failed} ${t("failed")})`;
    const errors = $("campaign-errors");
    errors.replaceChildren(...(job.errors || []).map((e) => el("li", {},
      `${t("row")} ${e.row} ${e.field ? label(e.field) : ""}: ${e.message}`)));
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

start();
