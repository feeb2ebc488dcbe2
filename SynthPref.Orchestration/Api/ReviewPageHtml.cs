using System.Net;

namespace SynthPref.Orchestration.Api;

/// <summary>
/// The blind review page. It holds no data itself: the browser reads the token from its own URL (the fragment) and
/// calls the same review endpoints as any other client, so the page can never show more than the API does.
/// </summary>
public static class ReviewPageHtml
{
    public static string Render(string runId) => Template.Replace("{{RUN_ID}}", WebUtility.HtmlEncode(runId));

    const string Template = """
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SynthPref review · {{RUN_ID}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#1d2330;color:#fff;padding:12px 24px;display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center}
header input{font:inherit;padding:4px 8px;border-radius:4px;border:0;margin-left:6px}
header .status{color:#c9d1e0}
main{max-width:1100px;margin:24px auto;padding:0 16px}
.item{background:#fff;border-radius:8px;padding:16px;margin-bottom:20px;box-shadow:0 1px 3px #0002}
.prompt{white-space:pre-wrap;background:#eef1f6;padding:10px;border-radius:6px}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:12px;margin-top:12px}
.pair>div{min-width:0}
.pair pre{white-space:pre-wrap;overflow-wrap:anywhere;font-family:inherit;background:#fafbfc;border:1px solid #dde;padding:10px;border-radius:6px;margin:4px 0}
.prompt{overflow-wrap:anywhere}
.actions{margin-top:10px;display:flex;flex-wrap:wrap;gap:8px;align-items:center}
button{font:inherit;padding:6px 14px;border-radius:4px;border:1px solid #889;background:#fff;color:#1d2330;cursor:pointer}
button:hover{border-color:#2b6cb0}
button.chosen{background:#2b6cb0;border-color:#2b6cb0;color:#fff}
.status{font-size:.9em;color:#556}
.status.saved{color:#1e7a3c;font-weight:600}
.error{color:#b00020}
@media (max-width:700px){.pair{grid-template-columns:1fr}header{padding:12px 16px}}
</style></head>
<body>
<header><strong>SynthPref blind review</strong><span>run {{RUN_ID}}</span>
<label>Your name <input id="reviewer" autocomplete="name"></label><span id="summary" class="status"></span></header>
<main id="items"><p class="status">Loading…</p></main>
<script>
// Links carry the token in the fragment, which the browser never sends to a server; links from before also had it
// in the query. Either way it goes to the API in the X-Review-Token header only.
const token = new URLSearchParams(location.hash.slice(1)).get("token") || new URLSearchParams(location.search).get("token") || "";
// Opening another link in the same tab changes only the fragment, which does not load the page again by itself.
addEventListener("hashchange", () => location.reload());
const base = location.pathname.replace(/\/review$/, "");
const reviewer = document.getElementById("reviewer");
reviewer.value = localStorage.getItem("synthpref-reviewer") || "";
reviewer.addEventListener("input", () => localStorage.setItem("synthpref-reviewer", reviewer.value));
let total = 0;
const saved = new Set();
function summarise() { document.getElementById("summary").textContent = total + " items · " + saved.size + " saved"; }
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
async function load() {
  const main = document.getElementById("items");
  const res = await fetch(base + "/review-items", { headers: { "X-Review-Token": token } });
  main.textContent = "";
  if (!res.ok) { main.append(el("p", "error", res.status === 401 ? "This link's review token is missing or wrong." : "Could not load items (" + res.status + ").")); return; }
  const items = await res.json();
  if (items.length === 0) main.append(el("p", "status", "Nothing to review yet: the sample is drawn once judging is done. Reload later."));
  total = items.length; summarise();
  for (const item of items) main.append(render(item));
}
function render(item) {
  const box = el("section", "item"); box.dataset.itemId = item.itemId;
  box.append(el("div", "status", item.category), el("div", "prompt", item.prompt));
  const pair = el("div", "pair");
  for (const [label, text] of [["First", item.first], ["Second", item.second]]) { const col = el("div"); col.append(el("strong", null, label), el("pre", null, text)); pair.append(col); }
  const actions = el("div", "actions"), note = el("span", "status");
  for (const pref of ["first", "second", "tie"]) {
    const b = el("button", null, pref === "tie" ? "Tie" : pref[0].toUpperCase() + pref.slice(1) + " is better");
    b.dataset.preference = pref;
    b.onclick = () => submit(item.itemId, pref, actions, note);
    actions.append(b);
  }
  actions.append(note); box.append(pair, actions);
  return box;
}
async function submit(itemId, preference, actions, note) {
  if (!reviewer.value.trim()) { note.className = "error"; note.textContent = "Enter your name first."; reviewer.focus(); return; }
  const res = await fetch(base + "/reviews", { method: "POST", headers: { "Content-Type": "application/json", "X-Review-Token": token },
    body: JSON.stringify({ itemId, reviewer: reviewer.value.trim(), preference }) });
  if (res.status === 202) {
    for (const b of actions.querySelectorAll("button")) b.classList.toggle("chosen", b.dataset.preference === preference);
    note.className = "status saved"; note.textContent = "Saved";
    saved.add(itemId); summarise();
  } else {
    const problem = await res.json().catch(() => ({}));
    note.className = "error"; note.textContent = problem.detail || ("Error " + res.status);
  }
}
load();
</script></body></html>
""";
}
