"use strict";
// Links carry the token in the fragment, which the browser never sends to a server; links from before also had it
// in the query. Either way it goes to the API in the X-Review-Token header only.
const token = new URLSearchParams(location.hash.slice(1)).get("token") || new URLSearchParams(location.search).get("token") || "";
// Opening another link in the same tab changes only the fragment, which does not load the page again by itself.
addEventListener("hashchange", () => location.reload());
const base = location.pathname.replace(/\/review$/, "");
const runId = decodeURIComponent(base.split("/").pop());
const $ = id => document.getElementById(id);
const show = (id, on) => $(id).classList.toggle("hidden", !on);
const namePattern = /^[\p{L}\p{N}][\p{L}\p{M}\p{N} ._'@+-]*$/u;
// New rounds are looked for often while the reviewer waits for them, seldom while there is work on screen: every page
// of a run shares its link's rate limit.
const pollWaitingMs = 3000, pollBusyMs = 10000;

let reviewer = localStorage.getItem("synthpref-reviewer") || "";
let items = [], etag = null, index = 0, screen = "loading", sending = false, blocked = false, lastFailure = 0;
// After a failed submit the page tries again by itself only this much later; Retry tries at once.
const retryAfterMs = 15000;
// itemId → {preference, state: "pending" | "saved" | "refused", error}; kept per run and reviewer, so a label the
// server has not accepted yet survives a failed request, a closed tab or a reload.
let labels = {};
const labelsKey = () => "synthpref-labels:" + runId + ":" + reviewer;
const loadLabels = () => { try { labels = JSON.parse(localStorage.getItem(labelsKey()) || "{}"); } catch { labels = {}; } };
const saveLabels = () => localStorage.setItem(labelsKey(), JSON.stringify(labels));

$("raw-toggle").checked = localStorage.getItem("synthpref-raw") === "1";
document.body.classList.toggle("show-raw", $("raw-toggle").checked);
$("raw-toggle").addEventListener("change", () => {
  document.body.classList.toggle("show-raw", $("raw-toggle").checked);
  localStorage.setItem("synthpref-raw", $("raw-toggle").checked ? "1" : "0");
});

function setScreen(name) {
  screen = name;
  show("items", name === "loading" || name === "message");
  show("name-screen", name === "name");
  show("item-screen", name === "item");
  show("done-screen", name === "done");
}
function message(text, cls) {
  const main = $("items"); main.textContent = "";
  const p = document.createElement("p"); p.className = cls; p.textContent = text; main.append(p);
  setScreen("message");
}
function askName() {
  $("reviewer-name").value = reviewer; $("name-error").textContent = "";
  setScreen("name"); $("reviewer-name").focus();
}
function startWithName() {
  const name = $("reviewer-name").value.trim();
  if (!name || name.length > 64 || !namePattern.test(name)) {
    $("name-error").textContent = "Use up to 64 letters, digits, spaces and . _ ' @ + -, starting with a letter or digit.";
    return;
  }
  reviewer = name; localStorage.setItem("synthpref-reviewer", name);
  // Out of the name field, so the keys label items from here on.
  $("reviewer-name").blur();
  loadLabels(); $("reviewer").textContent = name; show("who", true);
  goTo(firstUnlabelled());
  flush();
}
$("start").addEventListener("click", startWithName);
$("reviewer-name").addEventListener("keydown", e => { if (e.key === "Enter") startWithName(); });
$("change-name").addEventListener("click", askName);

const labelledCount = () => items.filter(i => labels[i.itemId]).length;
const firstUnlabelled = () => { const i = items.findIndex(i => !labels[i.itemId]); return i < 0 ? items.length : i; };

function summarise() {
  $("progress").textContent = items.length === 0 ? "" : Math.min(index + 1, items.length) + " of " + items.length;
  $("labelled").textContent = labelledCount() + " labelled";
  const pending = Object.values(labels).filter(l => l.state === "pending").length;
  const failed = Object.values(labels).some(l => l.state === "pending" && l.error);
  show("pending", pending > 0 && failed);
  $("pending-text").textContent = pending + (pending === 1 ? " label" : " labels") + " not sent yet";
  $("pending-text").className = "error";
}

function goTo(i) {
  if (!reviewer) { askName(); return; }
  if (items.length === 0) { message("Nothing to review yet: the sample is drawn once judging is done. This page checks again by itself.", "status"); summarise(); return; }
  index = Math.max(0, Math.min(i, items.length));
  if (index >= items.length) { done(); return; }
  const item = items[index];
  $("category").textContent = item.category;
  $("prompt").textContent = item.prompt;
  // A conversation: the dialogue so far turn by turn (shared, in place of the prompt, which is its last message; or
  // each side's own above its answer), and the two final answers set apart as the turn being judged.
  const conversation = !!(item.dialogue || item.firstDialogue);
  showTurns("dialogue", item.dialogue); showTurns("first-dialogue", item.firstDialogue); showTurns("second-dialogue", item.secondDialogue);
  show("prompt", !item.dialogue);
  for (const side of ["first", "second"]) { show(side + "-judged", conversation); $(side + "-response").classList.toggle("judged", conversation); }
  $("question").textContent = conversation ? "Which final answer is better, given its conversation?" : "Which response answers the prompt better?";
  show("reference", item.reference != null);
  $("reference-md").innerHTML = item.referenceHtml || ""; $("reference-raw").textContent = item.reference || "";
  // Rendered by the server from Markdown with raw HTML disabled and unsafe links removed.
  $("first-md").innerHTML = item.firstHtml; $("second-md").innerHTML = item.secondHtml;
  $("first-raw").textContent = item.first; $("second-raw").textContent = item.second;
  $("prev").disabled = index === 0;
  setScreen("item"); render(); summarise();
}
function showTurns(id, turns) {
  const box = $(id); box.textContent = ""; show(id, !!turns);
  for (const t of turns || []) {
    const turn = document.createElement("div"); turn.className = "turn " + t.role;
    const who = document.createElement("div"); who.className = "role";
    who.textContent = { system: "System", user: "User", assistant: "Assistant" }[t.role] || t.role;
    // Rendered by the server from Markdown with raw HTML disabled, as the answers are.
    const md = document.createElement("div"); md.className = "md"; md.innerHTML = t.html;
    const raw = document.createElement("pre"); raw.className = "raw"; raw.textContent = t.text;
    turn.append(who, md, raw); box.append(turn);
  }
}
function render() {
  if (screen !== "item") return;
  const label = labels[items[index].itemId];
  for (const b of document.querySelectorAll("#item [data-preference]")) b.classList.toggle("chosen", !!label && b.dataset.preference === label.preference);
  const status = $("item-status");
  if (!label) { status.className = "status"; status.textContent = ""; }
  else if (label.state === "saved") { status.className = "status saved"; status.textContent = "Saved"; }
  else if (label.state === "refused") { status.className = "error"; status.textContent = "Not counted: " + label.error; }
  else if (label.error) { status.className = "error"; status.textContent = "Not sent yet (" + label.error + "). It is kept here; press Retry."; }
  else { status.className = "status"; status.textContent = "Sending…"; }
}
function done() {
  setScreen("done"); summarise();
  const mine = items.map(i => labels[i.itemId]).filter(l => l);
  const pending = mine.filter(l => l.state === "pending").length, refused = mine.filter(l => l.state === "refused").length;
  $("done-title").textContent = pending === 0 ? "Done: all " + items.length + " items are labelled. Thank you!" : "Almost done";
  $("done-text").textContent = pending > 0
    ? pending + (pending === 1 ? " label has" : " labels have") + " not reached the server yet; they are kept in this browser. Press Retry above."
    : refused > 0 ? refused + (refused === 1 ? " label was" : " labels were") + " not counted (the items say why); every other label is saved."
    : "Every label you gave has been saved.";
}
function retry() { for (const l of Object.values(labels)) if (l.state === "pending") l.error = null; render(); summarise(); flush(); }

function choose(preference) {
  if (screen !== "item" || blocked) return;
  const item = items[index];
  labels[item.itemId] = { preference, state: "pending", error: null };
  saveLabels(); render(); summarise();
  flush();
  // On to the next item that has no label yet, or the done screen.
  const next = items.findIndex((i, k) => k > index && !labels[i.itemId]);
  goTo(next >= 0 ? next : firstUnlabelled());
}
for (const b of document.querySelectorAll("#item [data-preference]")) b.addEventListener("click", () => choose(b.dataset.preference));
$("prev").addEventListener("click", () => goTo(index - 1));
$("next").addEventListener("click", () => goTo(index + 1));
$("back").addEventListener("click", () => goTo(items.length - 1));
$("retry").addEventListener("click", retry);
document.addEventListener("keydown", e => {
  if ((e.target instanceof HTMLInputElement && e.target.type !== "checkbox") || e.ctrlKey || e.metaKey || e.altKey) return;
  if (screen === "item" && (e.key === "1" || e.key === "2" || e.key === "0")) { choose({ "1": "first", "2": "second", "0": "tie" }[e.key]); e.preventDefault(); }
  else if (e.key === "ArrowLeft" && (screen === "item" || screen === "done")) { goTo(screen === "done" ? items.length - 1 : index - 1); e.preventDefault(); }
  else if (e.key === "ArrowRight" && screen === "item") { goTo(index + 1); e.preventDefault(); }
});

// Labels go out one at a time, oldest first. A label the server refused (409: the review has ended or the item has all
// the reviewers it takes; 400, 404) is not counted and says so; anything else (no network, 5xx, 429) stays pending.
async function flush() {
  if (sending || !reviewer) return;
  sending = true;
  try {
    for (const [itemId, label] of Object.entries(labels)) {
      if (label.state !== "pending" || label.error) continue;
      const preference = label.preference;
      let res;
      try {
        res = await fetch(base + "/reviews", { method: "POST", headers: { "Content-Type": "application/json", "X-Review-Token": token },
          body: JSON.stringify({ itemId, reviewer, preference }) });
      } catch (e) { label.error = "no connection"; lastFailure = Date.now(); break; }
      // The reviewer may have changed their mind meanwhile; that newer label goes next round.
      const current = labels[itemId];
      if (res.status === 202) { if (current.preference === preference) { current.state = "saved"; current.error = null; } }
      else if (res.status === 401) { blocked = true; message("This link's review token is missing or wrong.", "error"); break; }
      else if ([400, 404, 409].includes(res.status)) {
        const problem = await res.json().catch(() => ({}));
        current.state = "refused"; current.error = problem.detail || ("error " + res.status);
      } else { current.error = "error " + res.status; lastFailure = Date.now(); break; }
    }
  } finally {
    sending = false; saveLabels(); render(); summarise();
    if (screen === "done") done();
  }
  if (Object.values(labels).some(l => l.state === "pending" && !l.error)) flush();
}

async function load() {
  let res;
  try {
    const headers = { "X-Review-Token": token };
    if (etag) headers["If-None-Match"] = etag;
    res = await fetch(base + "/review-items", { headers, cache: "no-store" });
  } catch { return; }
  if (res.status === 304) return;
  if (!res.ok) {
    if (items.length === 0 || res.status === 401) { blocked = res.status === 401;
      message(res.status === 401 ? "This link's review token is missing or wrong." : "Could not load items (" + res.status + ").", "error"); }
    return;
  }
  etag = res.headers.get("ETag");
  const fresh = await res.json();
  const known = new Set(items.map(i => i.itemId));
  const added = fresh.filter(i => !known.has(i.itemId));
  const wasWaiting = screen === "done" || screen === "loading" || screen === "message";
  items = items.concat(added);
  if (screen === "name") return;
  if (!reviewer) { askName(); return; }
  if (wasWaiting && added.length > 0) goTo(firstUnlabelled());
  else if (screen === "loading") goTo(firstUnlabelled());
  else summarise();
}

async function poll() {
  await load();
  if (blocked) return;
  // Labels not yet accepted (a failed submit, or a page closed mid-send) are tried again now and then, besides Retry.
  if (!sending && Date.now() - lastFailure > retryAfterMs && Object.values(labels).some(l => l.state === "pending")) retry();
  setTimeout(poll, screen === "item" || screen === "name" ? pollBusyMs : pollWaitingMs);
}
if (reviewer) { loadLabels(); $("reviewer").textContent = reviewer; show("who", true); }
poll();
