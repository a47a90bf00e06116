// The printer's web page (docs/web-page.md): every figure and button goes through the
// OctoPrint-compatible API with the key the user gives once (kept in localStorage).
"use strict";
const $ = (id) => document.getElementById(id);
const MINUTES = 10;
const readings = []; // {t, tool, toolTarget, bed, bedTarget}, the last MINUTES minutes
let key = localStorage.getItem("printer-api-key") || "";
let files = "";
let stick = false; // a USB stick is in (the API's sdcard origin)
let requests = ""; // the codes of the applications' key requests shown

/** Shows `text` under the header: a refusal, or (ok) what was done. */
function say(text, ok) {
  $("message").textContent = text;
  $("message").className = ok ? "ok" : "";
  $("message").hidden = !text;
}

/** An API request; resolves to its JSON (null for none), rejects with the API's sentence. */
async function api(method, path, body) {
  const headers = { "X-Api-Key": key };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await answer.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { /* a plain-text answer */ }
  if (!answer.ok) {
    const error = new Error((data && data.error) || text || "HTTP " + answer.status);
    error.status = answer.status;
    if (answer.status === 403 && /API key/.test(error.message)) askKey();
    throw error;
  }
  return data;
}

/** Runs an API request for a button, saying what it refused. */
function act(method, path, body, done) {
  return api(method, path, body).then(() => { say(done || "", true); refresh(); }, (error) => say(error.message));
}

function askKey() {
  $("key").value = key;
  $("key-form").hidden = false;
  $("panels").hidden = true;
}

function start() {
  $("key-form").hidden = true;
  $("panels").hidden = false;
  readServer().then(() => { say(""); refresh(); listFiles(); }, (error) => say(error.message));
}

/** The printer's name, versions and the firmware update under way (every 10 s). */
function readServer() {
  return api("GET", "/api/server").then((server) => {
    const p = server.printer || {};
    $("name").textContent = p.name || "Printer";
    document.title = p.name || "Printer";
    $("version").textContent = [p.model !== p.name && p.model, p.firmware && "firmware " + p.firmware, p.agent && "agent " + p.agent,
      p.ota && "updating to " + p.ota.version + " (" + p.ota.percent + " %)"].filter(Boolean).join(" · ");
  });
}

function setState(text) {
  $("state").textContent = text;
  $("state").className = "badge " + text;
}

function temperatures(printer) {
  const t = printer.temperature, tool = t.tool0 || {}, bed = t.bed || {};
  const round = (v) => (v === null || v === undefined ? "–" : Math.round(v * 10) / 10);
  $("tool-temp").textContent = round(tool.actual);
  $("tool-target").textContent = round(tool.target);
  $("bed-temp").textContent = round(bed.actual);
  $("bed-target").textContent = round(bed.target);
  const now = Date.now();
  readings.push({ t: now, tool: tool.actual, toolTarget: tool.target, bed: bed.actual, bedTarget: bed.target });
  while (readings.length && readings[0].t < now - MINUTES * 60000) readings.shift();
  chart(now);
}

/** Draws the last minutes: the actual temperatures as lines, the targets dashed. */
function chart(now) {
  const canvas = $("chart"), g = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
  const values = readings.flatMap((r) => [r.tool, r.toolTarget, r.bed, r.bedTarget]).filter((v) => typeof v === "number");
  const top = Math.max(50, Math.ceil((Math.max(...values, 0) + 10) / 50) * 50);
  const x = (t) => w - ((now - t) / (MINUTES * 60000)) * w, y = (v) => h - 4 - (v / top) * (h - 16);
  g.clearRect(0, 0, w, h);
  g.font = "11px sans-serif";
  g.fillStyle = "#999";
  g.strokeStyle = "#e4e4e4";
  g.setLineDash([]);
  for (let v = 0; v <= top; v += 50) {
    g.beginPath(); g.moveTo(0, y(v)); g.lineTo(w, y(v)); g.stroke();
    g.fillText(v + "°", 2, y(v) - 2);
  }
  g.textAlign = "right";
  g.fillText("last " + MINUTES + " min", w - 4, h - 6);
  g.textAlign = "left";
  const line = (field, color, dash) => {
    g.strokeStyle = color;
    g.setLineDash(dash);
    g.beginPath();
    let drawing = false;
    for (const r of readings) {
      if (typeof r[field] !== "number") { drawing = false; continue; }
      if (drawing) g.lineTo(x(r.t), y(r[field])); else g.moveTo(x(r.t), y(r[field]));
      drawing = true;
    }
    g.stroke();
  };
  line("toolTarget", "#e8a49c", [4, 4]);
  line("bedTarget", "#9cbbe0", [4, 4]);
  line("tool", "#c0392b", []);
  line("bed", "#2166ac", []);
}

/** "1 h 05 min" for `seconds`. */
function duration(seconds) {
  const minutes = Math.round(seconds / 60);
  return minutes >= 60 ? Math.floor(minutes / 60) + " h " + String(minutes % 60).padStart(2, "0") + " min" : minutes + " min";
}

function job(data) {
  const file = data.job.file, progress = data.progress, state = data.state;
  const active = file.name !== null;
  $("job-file").textContent = active ? file.name : "No print";
  $("job-progress").value = active && progress.completion !== null ? progress.completion : 0;
  $("job-percent").textContent = active && progress.completion !== null ? progress.completion.toFixed(1) + " %" : "";
  $("job-layer").textContent = progress.layer ? "· layer " + progress.layer + (progress.layerCount ? " of " + progress.layerCount : "") : "";
  $("job-left").textContent = progress.printTimeLeft !== null ? "· " + duration(progress.printTimeLeft) + " left" : "";
  $("pause").disabled = !(state === "Printing");
  $("resume").disabled = !(state === "Paused");
  $("stop").disabled = !active;
}

/** Reads the printer and the job (every 2 s). */
function refresh() {
  if ($("panels").hidden) return;
  api("GET", "/api/printer").then((printer) => {
    setState(printer.state.text);
    temperatures(printer);
    if (printer.sd.ready !== stick) { stick = printer.sd.ready; listFiles(); }
  },
    (error) => setState(error.status === 409 ? "Offline" : "?"));
  api("GET", "/api/job").then((data) => { setState(data.state); job(data); }, () => {});
  api("GET", "/api/plugin/appkeys").then(apps, () => {});
}

/** The applications waiting for the owner's decision on their key request; hidden when none. */
function apps(data) {
  const pending = Object.values(data.pending), text = JSON.stringify(pending.map((p) => p.user_token));
  if (text !== requests) { requests = text; $("app-requests").replaceChildren(...pending.map(appRow)); }
  $("apps").hidden = !pending.length;
}

function appRow(request) {
  const decide = (decision) => () => act("POST", "/plugin/appkeys/decision/" + encodeURIComponent(request.user_token),
    { decision }, (decision ? "Approved " : "Denied ") + request.app_id);
  const row = tableRow([[request.app_id], ["code " + request.user_token, "size"]],
    [["Approve", decide(true)], ["Deny", decide(false), "danger"]]);
  row.dataset.code = request.user_token;
  return row;
}

/** The files, every folder's too, and the USB stick's (origin sdcard), with a print and a delete button each. */
function listFiles() {
  api("GET", "/api/files?recursive=true").then((data) => {
    const rows = [];
    const walk = (entries) => entries.forEach((e) => (e.type === "folder" ? walk(e.children || []) : rows.push(e)));
    walk(data.files);
    const local = rows.filter((e) => e.origin !== "sdcard"), usb = rows.filter((e) => e.origin === "sdcard");
    const text = JSON.stringify(rows.map((e) => [e.origin, e.path, e.size]));
    if (text !== files) {
      files = text;
      $("files").replaceChildren(...local.map(fileRow));
      $("usb-files").replaceChildren(...usb.map(fileRow));
    }
    $("usb").hidden = !(stick || usb.length);
    $("usb-none").textContent = usb.length ? "" : "No G-code files on the stick.";
    $("free").textContent = local.length ? "" : "No files.";
    if (typeof data.free === "number") $("free").textContent += " " + (data.free / 1048576).toFixed(0) + " MiB free";
  }, (error) => say(error.message));
}

function fileRow(entry) {
  const url = "/api/files/" + entry.origin + "/" + entry.path.split("/").map(encodeURIComponent).join("/");
  const size = entry.size >= 1048576 ? (entry.size / 1048576).toFixed(1) + " MiB" : Math.ceil(entry.size / 1024) + " KiB";
  const row = tableRow([[entry.path], [size, "size"]], [
    ["Print", () => act("POST", url, { command: "select", print: true }, "Printing " + entry.path)],
    ["Delete", () => confirm("Delete " + entry.path + "?") &&
      api("DELETE", url).then(() => { say("Deleted " + entry.path, true); listFiles(); }, (error) => say(error.message)), "danger"]]);
  row.dataset.path = entry.path;
  return row;
}

/** A table row of `cells` ([text, class]) and, in its last cell, `buttons` ([label, onclick, class]). */
function tableRow(cells, buttons) {
  const row = document.createElement("tr");
  const cell = (text, cls) => { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; return td; };
  cells.forEach(([text, cls]) => cell(text, cls));
  const actions = cell("", "actions");
  buttons.forEach(([label, run, cls]) => {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = label; b.onclick = run; if (cls) b.className = cls;
    actions.append(b, " ");
  });
  return row;
}

/** Sends the chosen file as a slicer does, showing the upload's progress. */
function upload(event) {
  event.preventDefault();
  const file = $("upload-file").files[0], bar = $("upload-progress"), request = new XMLHttpRequest();
  if (!file) return;
  const form = new FormData();
  form.append("path", "");
  form.append("file", file, file.name);
  bar.hidden = false;
  bar.value = 0;
  request.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = (100 * e.loaded) / e.total; };
  request.onload = () => {
    let error = "";
    try { error = JSON.parse(request.responseText).error || ""; } catch (e) { error = request.responseText; }
    if (request.status === 201) { bar.value = 100; say("Uploaded " + file.name, true); $("upload-form").reset(); listFiles(); }
    else say("Upload failed: " + (error || "HTTP " + request.status));
  };
  request.onerror = () => say("Upload failed: the printer did not answer");
  request.open("POST", "/api/files/local");
  request.setRequestHeader("X-Api-Key", key);
  request.send(form);
}

/** A form whose submit runs `run` with its number input's value. */
function numberForm(form, input, run) {
  $(form).onsubmit = (event) => { event.preventDefault(); run(Number($(input).value)); };
}

$("key-form").onsubmit = (event) => {
  event.preventDefault();
  key = $("key").value.trim();
  localStorage.setItem("printer-api-key", key);
  start();
};
$("change-key").onclick = askKey;
$("pause").onclick = () => act("POST", "/api/job", { command: "pause", action: "pause" });
$("resume").onclick = () => act("POST", "/api/job", { command: "pause", action: "resume" });
$("stop").onclick = () => confirm("Stop the print?") && act("POST", "/api/job", { command: "cancel" });
numberForm("tool-form", "tool-set", (t) => act("POST", "/api/printer/tool", { command: "target", targets: { tool0: t } }, "Nozzle target " + t + " °C"));
numberForm("bed-form", "bed-set", (t) => act("POST", "/api/printer/bed", { command: "target", target: t }, "Bed target " + t + " °C"));
numberForm("fan-form", "fan-set", (p) => act("POST", "/api/printer/command", { commands: ["M106 S" + Math.round((p * 255) / 100)] }, "Fan " + p + " %"));
$("fan-off").onclick = () => act("POST", "/api/printer/command", { commands: ["M107"] }, "Fan off");
$("upload-form").onsubmit = upload;
$("console-form").onsubmit = (event) => {
  event.preventDefault();
  const line = $("console-line").value;
  api("POST", "/api/printer/command", { command: line })
    .then(() => { $("console-answer").textContent = "Sent: " + line; }, (error) => { $("console-answer").textContent = error.message; });
};
if (key) start(); else askKey();
setInterval(refresh, 2000);
setInterval(() => { if (!$("panels").hidden) { listFiles(); readServer().catch(() => {}); } }, 10000);
