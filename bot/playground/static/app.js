// The playground's page: draws what /api/state says one person sees, and sends what they do.
// Block Kit arrives drawn as HTML by the server; this script only wires the interactive parts.
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let me = params.get("as") || localStorage.getItem("playground-as") || "";
let at = params.get("at") || "";
let version = null;
let modalKey = null;
let commands = [];
let menuFor = null;
let suggestionIndex = 0;

async function api(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ as: me, at, ...body }),
  });
  const answer = await response.json().catch(() => ({}));
  version = null;
  poll();
  return answer;
}

let polling = false;
let again = false;
async function poll() {
  if (polling) {
    again = true; // the answer in flight may be for another person or place: ask once more after it
    return;
  }
  polling = true;
  const asked = { me, at };
  try {
    const query = new URLSearchParams({ as: me, at, since: version === null ? "" : String(version) });
    const response = await fetch("/api/state?" + query);
    const state = await response.json();
    const stale = asked.me !== me || asked.at !== at;
    if (!state.unchanged && !stale) render(state);
    if (stale) version = null;
  } catch (error) {
    $("subtitle").textContent = "The playground is not answering.";
  } finally {
    polling = false;
    if (again) {
      again = false;
      poll();
    }
  }
}

function render(state) {
  version = state.version;
  me = state.me.id;
  at = state.at;
  commands = state.commands || [];
  localStorage.setItem("playground-as", me);
  $("notice").textContent = state.notice;
  $("team-name").textContent = state.team;
  $("clock").textContent = state.clock.shown;
  renderPersonas(state);
  renderChannels(state);
  const inApp = at === "home" || at === "messages";
  $("title").textContent = inApp ? "Shepherd" : (state.channel && state.channel.shared_with ? "⇄ " : "# ") + state.title;
  $("subtitle").textContent = inApp
    ? "App · client projects in Slack"
    : state.channel.shared_with
      ? `Shared with ${state.channel.shared_with} (Slack Connect) · ${state.channel.topic}`
      : state.channel.topic;
  $("tabs").hidden = !inApp;
  $("tab-home").classList.toggle("active", at === "home");
  $("tab-messages").classList.toggle("active", at === "messages");
  $("home").hidden = at !== "home";
  $("messages").hidden = at === "home";
  $("composer").hidden = at === "home";
  $("box").placeholder = at === "messages" ? "Message Shepherd" : `Message #${state.title}`;
  if (at === "home") {
    $("home").innerHTML = state.home || '<p class="empty">Opening Home…</p>';
  } else {
    const box = $("messages");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    box.innerHTML = state.messages.length
      ? state.messages.map((m) => m.html).join("")
      : '<p class="empty">No messages yet. Try <code>/project help</code>.</p>';
    if (atBottom) box.scrollTop = box.scrollHeight;
  }
  renderModal(state.modal);
}

function renderPersonas(state) {
  const select = $("persona");
  const options = state.personas.map((p) => `<option value="${p.id}">${escapeHtml(p.name)}</option>`).join("");
  if (select.dataset.options !== options) {
    select.innerHTML = options;
    select.dataset.options = options;
  }
  select.value = me;
  $("persona-role").textContent = `${state.me.role} · ${state.me.org}${state.me.external ? " (another organization)" : ""}`;
}

// What each person has seen, per channel: a channel with newer messages shows in bold, like Slack.
function seenOf() {
  return JSON.parse(localStorage.getItem(`playground-seen-${me}`) || "{}");
}

function renderChannels(state) {
  const seen = seenOf();
  const here = at === "home" || at === "messages" ? "messages" : at;
  if (at !== "home") {
    seen[here] = here === "messages" ? state.dm_latest : (state.channels.find((c) => c.id === here) || {}).latest || "";
    localStorage.setItem(`playground-seen-${me}`, JSON.stringify(seen));
  }
  const unread = (key, latest) => latest && latest > (seen[key] || "");
  $("channels").innerHTML = state.channels
    .map(
      (c) =>
        `<li><a href="#" data-at="${c.id}" class="${c.id === at ? "active" : ""}${unread(c.id, c.latest) ? " unread" : ""}">` +
        `<span class="hash">${c.shared_with ? "⇄" : "#"}</span> ${escapeHtml(c.name)}` +
        (c.shared_with ? ` <span class="shared" title="Shared with ${escapeHtml(c.shared_with)}">shared</span>` : "") +
        "</a></li>",
    )
    .join("");
  $("app-link").classList.toggle("active", at === "home" || at === "messages");
  $("app-link").classList.toggle("unread", unread("messages", state.dm_latest));
}

function renderModal(modal) {
  const back = $("modal-back");
  if (!modal) {
    back.hidden = true;
    modalKey = null;
    return;
  }
  const key = `${modal.id}:${modal.rev}`;
  back.hidden = false;
  if (key === modalKey) return;
  const kept = modalKey && modalKey.split(":")[0] === modal.id ? readForm() : null;
  modalKey = key;
  $("modal-title").innerHTML = modal.title;
  $("modal-body").innerHTML = modal.html;
  $("modal-close").innerHTML = modal.close;
  $("modal-submit").hidden = !modal.submit;
  $("modal-submit").innerHTML = modal.submit || "";
  const general = modal.errors && modal.errors[""];
  $("modal-error").hidden = !general;
  $("modal-error").textContent = general || "";
  if (kept) restoreForm(kept);
}

function valueOf(el) {
  if (el.classList.contains("bk-choices")) {
    const checked = [...el.querySelectorAll("input:checked")].map((i) => i.value);
    return el.querySelector("input[type=radio]") ? checked[0] || null : checked;
  }
  if (el.tagName === "SELECT" && el.multiple) return [...el.selectedOptions].map((o) => o.value);
  return el.value;
}

function readForm() {
  return [...$("modal-body").querySelectorAll("[data-action][data-input]")].map((el) => ({
    block: el.closest("[data-block]").dataset.block,
    action: el.dataset.action,
    value: valueOf(el),
  }));
}

function restoreForm(values) {
  for (const v of values) {
    const el = $("modal-body").querySelector(`[data-block="${CSS.escape(v.block)}"] [data-action="${CSS.escape(v.action)}"]`);
    if (!el) continue;
    if (el.classList.contains("bk-choices")) {
      const chosen = [].concat(v.value || []);
      el.querySelectorAll("input").forEach((i) => (i.checked = chosen.includes(i.value)));
    } else if (el.tagName === "SELECT" && el.multiple) {
      [...el.options].forEach((o) => (o.selected = (v.value || []).includes(o.value)));
    } else {
      el.value = v.value;
    }
  }
}

function surfaceOf(el) {
  if (el.closest("#modal-body")) return { surface: "modal" };
  if (el.closest("#home")) return { surface: "home" };
  const message = el.closest(".msg");
  return { surface: "message", ts: message ? message.dataset.ts : null };
}

function act(el, value) {
  const where = surfaceOf(el);
  const block = el.closest("[data-block]");
  if (el.dataset.url) window.open(el.dataset.url, "_blank", "noopener");
  api("/api/click", { ...where, block: block ? block.dataset.block : "", action: el.dataset.action, value });
}

document.addEventListener("click", (event) => {
  const target = event.target;
  const place = target.closest("[data-at]");
  if (place) {
    event.preventDefault();
    at = place.dataset.at;
    version = null;
    if (at === "home") api("/api/home", {});
    else poll();
    return;
  }
  const button = target.closest("button[data-action]");
  if (button && !button.closest("[data-input]")) {
    event.preventDefault();
    act(button, button.dataset.value);
    return;
  }
  if (target.closest("[data-menu]")) {
    const message = target.closest(".msg");
    menuFor = message.dataset.ts;
    const menu = $("menu");
    const box = target.getBoundingClientRect();
    menu.hidden = false;
    const below = box.bottom + 4 + menu.offsetHeight < window.innerHeight;
    menu.style.top = `${below ? box.bottom + 4 : box.top - 4 - menu.offsetHeight}px`;
    menu.style.left = `${Math.max(8, box.right - 220)}px`;
    return;
  }
  if (target.closest("[data-shortcut]")) {
    $("menu").hidden = true;
    if (menuFor) api("/api/shortcut", { ts: menuFor });
    return;
  }
  $("menu").hidden = true;
  const suggestion = target.closest("[data-usage]");
  if (suggestion) choose(suggestion.dataset.usage);
});

document.addEventListener("change", (event) => {
  const el = event.target.closest("[data-action]");
  if (!el || el.hasAttribute("data-input") || el.tagName === "BUTTON") return;
  act(el, valueOf(el));
});

$("persona").addEventListener("change", (event) => {
  me = event.target.value;
  version = null;
  modalKey = null;
  if (at === "home") api("/api/home", {});
  else poll();
});

$("modal-submit").addEventListener("click", () => api("/api/submit", { values: readForm() }));
$("modal-close").addEventListener("click", () => api("/api/close", {}));
$("modal-x").addEventListener("click", () => api("/api/close", {}));

async function moveClock(to) {
  $("clock-busy").hidden = false;
  document.querySelectorAll(".clock-btn").forEach((b) => (b.disabled = true));
  try {
    await api("/api/clock", { to });
  } finally {
    $("clock-busy").hidden = true;
    document.querySelectorAll(".clock-btn").forEach((b) => (b.disabled = false));
  }
}
$("next-day").addEventListener("click", () => moveClock("next-day"));
$("later").addEventListener("click", () => moveClock("later"));
$("pass").addEventListener("click", () => moveClock("now"));

// The message box: `/project …` with the command list as you type.
function matches() {
  const text = $("box").value;
  if (!text.startsWith("/")) return [];
  const words = text.replace(/^\/project\s*/, "").trim().toLowerCase();
  if (!"/project".startsWith(text.split(" ")[0])) return [];
  return commands.filter((c) => c.usage.toLowerCase().startsWith(words.split(" ")[0] || "")).slice(0, 8);
}

function showSuggestions() {
  const found = matches();
  const list = $("suggestions");
  suggestionIndex = Math.min(suggestionIndex, Math.max(0, found.length - 1));
  list.hidden = found.length === 0;
  list.innerHTML = found
    .map(
      (c, i) =>
        `<li data-usage="${escapeHtml(c.usage)}" class="${i === suggestionIndex ? "active" : ""}">` +
        `<b>/project ${escapeHtml(c.usage)}</b><span>${escapeHtml(c.does)}</span></li>`,
    )
    .join("");
}

function choose(usage) {
  const first = usage.split(/[\s[<]/).filter(Boolean);
  const fixed = [];
  for (const word of first) {
    if (/^[a-z]+$/.test(word)) fixed.push(word);
    else break;
  }
  $("box").value = `/project ${fixed.join(" ")} `;
  $("suggestions").hidden = true;
  $("box").focus();
}

$("box").addEventListener("input", () => {
  suggestionIndex = 0;
  showSuggestions();
});
$("box").addEventListener("keydown", (event) => {
  const found = $("suggestions").hidden ? [] : matches();
  if (!found.length) return;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    suggestionIndex = (suggestionIndex + (event.key === "ArrowDown" ? 1 : found.length - 1)) % found.length;
    showSuggestions();
  } else if (event.key === "Tab") {
    event.preventDefault();
    choose(found[suggestionIndex].usage);
  } else if (event.key === "Escape") {
    $("suggestions").hidden = true;
  }
});

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("box").value.trim();
  if (!text) return;
  $("box").value = "";
  $("suggestions").hidden = true;
  api("/api/send", { text });
});

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

poll();
setInterval(poll, 500);
