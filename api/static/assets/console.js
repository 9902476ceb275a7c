let me = null, current = null, events = null;
const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const headers = {"Content-Type": "application/json"};
  if (me && me.csrf_token) headers["X-CSRF-Token"] = me.csrf_token;
  const response = await fetch(path, {credentials: "same-origin", ...options, headers});
  if (response.status === 204) return null;
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error((body.error && body.error.message) || response.statusText), {status: response.status});
  return body;
}

function show(error) { $("error").textContent = error ? error.message : ""; }

function minutes(seconds) { return seconds < 3600 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`; }

async function loadQueue() {
  const items = await api("/api/console/escalations" + ($("show-resolved").checked ? "?include_resolved=true" : ""));
  const body = $("queue");
  body.innerHTML = "";
  for (const item of items) {
    const row = document.createElement("tr");
    row.className = "case" + (current === item.id ? " selected" : "");
    row.dataset.caseId = item.id;
    row.innerHTML = `<td>#${item.id} <span class="pill">${item.channel}</span></td><td></td>` +
      `<td class="${item.sla_breached ? "breach" : ""}">${minutes(item.waiting_seconds)}${item.sla_breached ? " SLA" : ""}</td><td></td>`;
    row.children[1].textContent = item.reason.replaceAll("_", " ") + (item.status === "resolved" ? " (resolved)" : "");
    row.children[3].textContent = item.claimed_by || "—";
    row.onclick = () => openCase(item.id);
    body.appendChild(row);
  }
}

async function openCase(id) {
  current = id;
  try {
    const c = await api(`/api/console/escalations/${id}`);
    $("case").hidden = false;
    $("case-title").textContent = `Case #${c.id}: ${c.reason.replaceAll("_", " ")} (${c.status})`;
    $("case-summary").textContent = `${c.cardholder || "Unknown number"} · ${c.channel} · ${c.verified ? "verified" : "not verified"}${c.locked ? " · locked" : ""} · ${c.summary}`;
    $("claim").hidden = c.status !== "open";
    $("reassign-box").hidden = me.role !== "supervisor" || c.status === "resolved";
    const account = $("account");
    account.innerHTML = "";
    for (const a of c.accounts) {
      for (const [label, value] of [["Card", a.card], ["Stage", a.stage], ["Overdue", a.overdue_amount], ["Minimum due", a.minimum_due],
                                    ["Balance", a.statement_balance], ["Due date", `${a.due_date} (${a.days_past_due} days past due)`], ["On hold (dispute)", a.disputed_amount]]) {
        const dt = document.createElement("dt"); dt.textContent = label;
        const dd = document.createElement("dd"); dd.textContent = value;
        account.append(dt, dd);
      }
    }
    if (c.disposition) {
      const dt = document.createElement("dt"); dt.textContent = "Outcome";
      const dd = document.createElement("dd"); dd.id = "disposition-shown"; dd.textContent = c.disposition.replaceAll("_", " ");
      account.append(dt, dd);
    }
    const transcript = $("transcript");
    transcript.innerHTML = "";
    for (const m of c.messages) {
      const bubble = document.createElement("div");
      bubble.className = "msg " + m.author;
      bubble.textContent = m.text;
      const meta = document.createElement("small");
      meta.textContent = `${m.author} · ${new Date(m.created_at).toLocaleTimeString()} · ${m.status}`;
      bubble.appendChild(meta);
      transcript.appendChild(bubble);
    }
    transcript.scrollTop = transcript.scrollHeight;
    const notes = $("notes");
    notes.innerHTML = "";
    for (const n of c.notes) { const li = document.createElement("li"); li.textContent = `${n.author}: ${n.text}`; notes.appendChild(li); }
    show(null);
  } catch (error) { show(error); }
  loadQueue().catch(show);
}

async function act(path, body) {
  try { await api(path, {method: "POST", body: JSON.stringify(body || {})}); await openCase(current); }
  catch (error) { show(error); }
}

$("claim").onclick = () => act(`/api/console/escalations/${current}/claim`);
$("reassign").onclick = () => act(`/api/console/escalations/${current}/reassign`, {username: $("reassign-to").value});
$("reply-form").onsubmit = (e) => { e.preventDefault(); const text = $("reply").value.trim(); if (!text) return; $("reply").value = ""; act(`/api/console/escalations/${current}/messages`, {text}); };
$("note-form").onsubmit = (e) => { e.preventDefault(); const text = $("note").value.trim(); if (!text) return; $("note").value = ""; act(`/api/console/escalations/${current}/notes`, {text}); };
$("outcome-form").onsubmit = (e) => {
  e.preventDefault();
  const disposition = $("disposition").value, amount = $("outcome-amount").value.trim();
  const body = {disposition, note: $("outcome-note").value.trim() || null};
  if (amount) body[disposition === "dispute_opened" ? "disputed_amount" : "promised_amount"] = amount;
  act(`/api/console/escalations/${current}/outcome`, body);
};
$("resolve-bot").onclick = () => act(`/api/console/escalations/${current}/resolve`, {return_to_bot: true});
$("resolve-end").onclick = () => act(`/api/console/escalations/${current}/resolve`, {return_to_bot: false});
$("show-resolved").onchange = () => loadQueue().catch(show);

function start() {
  $("login").hidden = true;
  $("app").hidden = false;
  $("who").textContent = `${me.display_name} (${me.role})`;
  loadQueue().catch(show);
  events = new EventSource("/api/console/events");
  events.addEventListener("changed", () => { loadQueue().catch(show); if (current) openCase(current); });
}

$("login").onsubmit = async (e) => {
  e.preventDefault();
  try {
    me = await api("/api/console/login", {method: "POST", body: JSON.stringify({username: $("username").value, password: $("password").value})});
    start();
  } catch (error) { $("login-error").textContent = error.message; }
};

(async () => {
  try { me = await api("/api/console/me"); start(); }
  catch (error) { $("login").hidden = false; }
})();
