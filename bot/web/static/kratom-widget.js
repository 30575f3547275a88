/*
 * Kratom & opioid withdrawal information assistant: the embeddable chat widget.
 *
 *   <script src="kratom-widget.js" data-server="http://127.0.0.1:5005" data-region="US"
 *           data-title="Kratom &amp; withdrawal info" data-color="#1d4ed8" defer></script>
 *
 * Plain JavaScript: no framework, no bundler, no build step. Everything lives in the shadow root
 * of one <div id="kratom-widget">; styles are a constructable stylesheet (allowed by a strict
 * Content-Security-Policy), with a <style> fallback for browsers without one.
 *
 * Rules this file keeps, and tests check:
 * - message text is only ever set with textContent / createTextNode, never parsed as HTML;
 * - the only links are knowledge-base sources (https only, new tab, noopener noreferrer) and
 *   tel:/sms: links for help lines;
 * - "Get help now" needs no server: it reads kratom-resources.js from this script's folder.
 *
 * The REST channel: POST {server}/webhooks/rest/webhook {sender, message, metadata: {region}};
 * the reply is a list of {text, buttons} and {custom: {data}} messages (data may be a JSON string).
 * The sender id is random and kept in localStorage with the shown transcript, so a reload keeps
 * the conversation; "Clear conversation" forgets both.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.KratomWidget) {
    return;
  }

  var STORE_SENDER = "kratom-widget.sender";
  var STORE_LOG = "kratom-widget.transcript";
  var STORE_OPEN = "kratom-widget.open";
  var MAX_STORED = 80;
  var MAX_CHARS = 20000; // the server reads up to 20,000 characters (bot/channels/text.py)
  var TIMEOUT_MS = 45000;
  var REGION_CODES = ["US", "CA", "UK", "IE", "AU"];
  var ROUTES = ["crisis", "redirect", "answer", "fallback", "smalltalk"];
  // Only used if kratom-resources.js cannot be loaded at all.
  var LAST_RESORT_EMERGENCY = { US: "911", CA: "911", UK: "999", IE: "112", AU: "000" };
  var DEFAULT_COLOR = "#1d4ed8";
  var INK = "#111827";

  // ---------------------------------------------------------------- configuration
  var ds = script.dataset || {};
  var scriptUrl = script.src || window.location.href;
  var config = {
    server: parseServer(ds.server),
    region: parseRegion(ds.region),
    title: (ds.title || "Kratom & withdrawal info").slice(0, 80),
    color: parseHex(ds.color) ? ds.color : DEFAULT_COLOR
  };

  function parseServer(value) {
    if (!value) {
      return null;
    }
    try {
      var url = new URL(value, window.location.href);
      if (url.protocol === "http:" || url.protocol === "https:") {
        return url.href.replace(/\/+$/, "");
      }
    } catch (e) { /* fall through */ }
    return null;
  }

  function parseRegion(value) {
    var code = String(value || "US").trim().toUpperCase();
    if (code === "GB") {
      code = "UK";
    }
    return REGION_CODES.indexOf(code) >= 0 ? code : "US";
  }

  // ---------------------------------------------------------------- colour (WCAG contrast)
  function parseHex(value) {
    var m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(value || "").trim());
    if (!m) {
      return null;
    }
    var h = m[1].length === 3 ? m[1].replace(/./g, "$&$&") : m[1];
    return [0, 2, 4].map(function (i) { return parseInt(h.substr(i, 2), 16); });
  }

  function luminance(rgb) {
    var c = rgb.map(function (v) {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  // Text on the accent colour: white or near-black, whichever contrasts more (always >= 4.5:1).
  var accentRgb = parseHex(config.color);
  var onAccent = contrast(accentRgb, [255, 255, 255]) >= contrast(accentRgb, parseHex(INK)) ? "#ffffff" : INK;

  // ---------------------------------------------------------------- storage
  var memory = {};
  function storage(kind) {
    try {
      var s = window[kind];
      s.setItem("kratom-widget.probe", "1");
      s.removeItem("kratom-widget.probe");
      return s;
    } catch (e) {
      return null;
    }
  }
  var local = storage("localStorage");
  var session = storage("sessionStorage");

  function getItem(store, key) {
    if (store) {
      try { return store.getItem(key); } catch (e) { /* fall through */ }
    }
    return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null;
  }
  function setItem(store, key, value) {
    memory[key] = value;
    if (store) {
      try { store.setItem(key, value); } catch (e) { /* quota or privacy mode: memory only */ }
    }
  }
  function removeItem(store, key) {
    delete memory[key];
    if (store) {
      try { store.removeItem(key); } catch (e) { /* ignore */ }
    }
  }

  function newSenderId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var hex = "";
    for (var i = 0; i < bytes.length; i++) {
      hex += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    }
    return "web-" + hex;
  }

  function senderId() {
    var id = getItem(local, STORE_SENDER);
    if (!/^web-[0-9a-f]{32}$/.test(id || "")) {
      id = newSenderId();
      setItem(local, STORE_SENDER, id);
    }
    return id;
  }

  // ---------------------------------------------------------------- message data
  function isString(v) {
    return typeof v === "string" && v.trim() !== "";
  }
  function isPlainObject(v) {
    return v !== null && typeof v === "object" && !Array.isArray(v);
  }
  function str(v, max) {
    return typeof v === "string" ? v.slice(0, max || 4000) : "";
  }

  function parseData(custom) {
    if (!isPlainObject(custom)) {
      return null;
    }
    var data = custom.data;
    if (typeof data === "string") {
      try { data = JSON.parse(data); } catch (e) { return null; }
    }
    return isPlainObject(data) ? data : null;
  }

  function cleanResource(r) {
    if (!isPlainObject(r) || !isString(r.label)) {
      return null;
    }
    return { label: str(r.label, 300), phone: str(r.phone, 40), sms: str(r.sms, 40), web: str(r.web, 300), note_es: str(r.note_es, 300) };
  }

  function cleanSource(s) {
    if (!isPlainObject(s)) {
      return null;
    }
    return { organisation: str(s.organisation, 200), title: str(s.title, 300), url: str(s.url, 500), checked_on: str(s.checked_on, 20) };
  }

  function cleanList(list, fn, max) {
    return (Array.isArray(list) ? list : []).map(fn).filter(Boolean).slice(0, max);
  }

  function cleanButtons(list) {
    var out = [];
    (Array.isArray(list) ? list : []).forEach(function (b) {
      var text = typeof b === "string" ? b : isPlainObject(b) ? (isString(b.title) ? b.title : b.payload) : null;
      if (isString(text) && out.indexOf(text.trim()) < 0 && out.length < 4) {
        out.push(text.trim().slice(0, 300));
      }
    });
    return out;
  }

  // Only the fields the widget renders; the same function cleans fresh and restored entries.
  function cleanData(d) {
    if (!isPlainObject(d)) {
      return null;
    }
    return {
      route: ROUTES.indexOf(d.route) >= 0 ? d.route : "",
      kind: str(d.kind, 40),
      lang: str(d.lang, 5),
      answer: str(d.answer, 8000),
      sources: cleanList(d.sources, cleanSource, 12),
      reviewed_on: /^\d{4}-\d{2}-\d{2}$/.test(d.reviewed_on || "") ? d.reviewed_on : "",
      reviewed_by: str(d.reviewed_by, 200),
      clinical_review: str(d.clinical_review, 20),
      resources: cleanList(d.resources, cleanResource, 12)
    };
  }

  function cleanEntry(e) {
    if (!isPlainObject(e) || (e.role !== "user" && e.role !== "bot")) {
      return null;
    }
    return { role: e.role, text: str(e.text, 10000), data: cleanData(e.data), buttons: cleanButtons(e.buttons) };
  }

  // REST messages -> transcript entries. A {custom} message belongs to the text messages just
  // before it (since the previous {custom}); its buttons join theirs.
  function toEntries(messages) {
    var entries = [];
    var groupStart = 0;
    (Array.isArray(messages) ? messages : []).forEach(function (m) {
      if (!isPlainObject(m)) {
        return;
      }
      var buttons = cleanButtons(m.buttons);
      if (isString(m.text)) {
        entries.push({ role: "bot", text: m.text, data: null, buttons: buttons });
      } else if (buttons.length && entries.length) {
        entries[entries.length - 1].buttons = cleanButtons(entries[entries.length - 1].buttons.concat(buttons));
      }
      var data = parseData(m.custom);
      if (!data) {
        return;
      }
      var target = entries[groupStart];
      if (!target) {
        target = { role: "bot", text: "", data: null, buttons: [] };
        entries.push(target);
      }
      target.data = cleanData(data);
      target.buttons = cleanButtons(target.buttons.concat(Array.isArray(data.buttons) ? data.buttons : []));
      groupStart = entries.length;
    });
    return entries.map(cleanEntry).filter(Boolean);
  }

  // ---------------------------------------------------------------- DOM helpers (no HTML parsing)
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) {
        return;
      }
      if (key === "class") {
        node.className = value;
      } else if (key === "text") {
        node.textContent = value;
      } else if (key.indexOf("on") === 0) {
        node.addEventListener(key.slice(2), value);
      } else {
        node.setAttribute(key, value === true ? "" : String(value));
      }
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) {
        node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  function srOnly(text) {
    return el("span", { class: "kw-sr", text: text });
  }

  function button(label, className, onclick, attrs) {
    var a = { type: "button", class: className, onclick: onclick };
    Object.keys(attrs || {}).forEach(function (k) { a[k] = attrs[k]; });
    return el("button", a, typeof label === "string" ? [label] : label);
  }

  // One line of text per line of the message; blank lines become gaps. URLs stay plain text.
  function appendLines(parent, text) {
    var lastWasGap = true;
    String(text || "").split(/\r?\n/).forEach(function (line) {
      if (line.trim() === "") {
        if (!lastWasGap) {
          parent.appendChild(el("div", { class: "kw-gap", "aria-hidden": "true" }));
        }
        lastWasGap = true;
        return;
      }
      parent.appendChild(el("p", { class: "kw-line", text: line }));
      lastWasGap = false;
    });
  }

  function httpsUrl(value) {
    if (typeof value !== "string") {
      return null;
    }
    try {
      var url = new URL(value);
      return url.protocol === "https:" && !url.username && !url.password ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function dialable(number) {
    if (typeof number !== "string") {
      return null;
    }
    var digits = number.replace(/[\s\-().]/g, "");
    return /^\+?[0-9]{2,15}$/.test(digits) ? digits : null;
  }

  function phoneLink(scheme, number, verb, context) {
    var digits = dialable(number);
    if (!digits) {
      return el("span", { class: "kw-res-plain", text: verb + " " + number });
    }
    return el("a", { class: "kw-res-link", href: scheme + ":" + digits }, [verb + " " + number, srOnly(" (" + context + ")")]);
  }

  function resourceItem(r, lang) {
    var actions = el("span", { class: "kw-res-actions" });
    if (r.phone) {
      actions.appendChild(phoneLink("tel", r.phone, "Call", r.label));
    }
    if (r.sms) {
      actions.appendChild(phoneLink("sms", r.sms, "Text", r.label));
    }
    if (r.web) {
      actions.appendChild(el("span", { class: "kw-res-web", text: r.web }));
    }
    var item = el("li", { class: "kw-res" }, [el("span", { class: "kw-res-label", text: r.label }), actions]);
    if (lang === "es" && r.note_es) {
      item.appendChild(el("span", { class: "kw-res-note", text: r.note_es }));
    }
    return item;
  }

  function resourceList(resources, lang) {
    return el("ul", { class: "kw-res-list" }, resources.map(function (r) { return resourceItem(r, lang); }));
  }

  // ---------------------------------------------------------------- styles
  var CSS = [
    ":host { all: initial; }",
    "*, *::before, *::after { box-sizing: border-box; }",
    "[hidden] { display: none !important; }",
    ".kw-root { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; color: #1f2937; }",
    "button, input { font: inherit; }",
    ".kw-sr { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }",
    ":focus { outline: none; }",
    ":focus-visible { outline: 3px solid " + INK + "; outline-offset: 2px; box-shadow: 0 0 0 2px #ffffff; }",
    /* dock: launcher + Get help when the panel is closed */
    ".kw-dock { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; display: flex; flex-wrap: wrap; justify-content: flex-end; align-items: center; gap: 8px; max-width: calc(100vw - 32px); }",
    ".kw-launcher { display: inline-flex; align-items: center; gap: 8px; max-width: 100%; padding: 12px 18px; border: 0; border-radius: 999px; background: var(--kw-accent); color: var(--kw-on-accent); font-weight: 600; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); }",
    ".kw-launcher svg { width: 20px; height: 20px; flex: none; fill: currentColor; }",
    ".kw-help-btn { padding: 10px 14px; border: 2px solid #ffffff; border-radius: 999px; background: #b91c1c; color: #ffffff; font-weight: 700; cursor: pointer; white-space: nowrap; }",
    ".kw-dock .kw-help-btn { box-shadow: 0 4px 14px rgba(0,0,0,.25); }",
    ".kw-help-btn:hover { background: #991b1b; }",
    /* panel */
    ".kw-panel { position: fixed; right: 16px; bottom: 16px; z-index: 2147483001; display: flex; flex-direction: column; width: 390px; max-width: calc(100vw - 32px); height: min(680px, calc(100vh - 32px)); background: #ffffff; color: #1f2937; border: 1px solid #d1d5db; border-radius: 14px; overflow: hidden; box-shadow: 0 12px 40px rgba(0,0,0,.28); }",
    ".kw-header { display: flex; align-items: center; gap: 8px; padding: 10px 10px 10px 16px; background: var(--kw-accent); color: var(--kw-on-accent); }",
    ".kw-title { flex: 1; min-width: 0; margin: 0; font-size: 16px; font-weight: 700; line-height: 1.3; color: var(--kw-on-accent); overflow-wrap: break-word; }",
    ".kw-close { flex: none; width: 40px; height: 40px; border: 0; border-radius: 8px; background: transparent; color: var(--kw-on-accent); font-size: 26px; line-height: 1; cursor: pointer; }",
    ".kw-header, .kw-disclaimer, .kw-typing, .kw-composer, .kw-footer { flex: none; }",
    ".kw-disclaimer { margin: 0; padding: 6px 16px; background: #f3f4f6; color: #374151; font-size: 13px; border-bottom: 1px solid #e5e7eb; }",
    /* help section */
    ".kw-help { flex: 0 1 auto; max-height: 60%; overflow-y: auto; padding: 12px 16px; background: #fef2f2; color: #1f2937; border-bottom: 3px solid #b91c1c; }",
    ".kw-help h3 { margin: 0 0 6px; font-size: 16px; color: #991b1b; }",
    ".kw-help h4 { margin: 10px 0 4px; font-size: 14px; color: #1f2937; }",
    ".kw-help-lead { margin: 0 0 6px; font-weight: 600; }",
    ".kw-help-hide { margin-top: 8px; padding: 6px 12px; border: 1px solid #991b1b; border-radius: 8px; background: #ffffff; color: #991b1b; cursor: pointer; }",
    ".kw-res-list { margin: 4px 0 0; padding: 0; list-style: none; }",
    ".kw-res { margin: 0 0 8px; }",
    ".kw-res-label { display: block; font-weight: 600; }",
    ".kw-res-actions { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: baseline; }",
    ".kw-res-link { color: #1e40af; font-weight: 700; text-decoration: underline; }",
    ".kw-res-web, .kw-res-note, .kw-res-plain { color: #374151; overflow-wrap: anywhere; }",
    /* transcript */
    ".kw-log { flex: 1 1 auto; min-height: 80px; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 10px; background: #ffffff; }",
    ".kw-msg { max-width: 92%; padding: 9px 12px; border-radius: 12px; overflow-wrap: anywhere; }",
    ".kw-line { margin: 0; }",
    ".kw-gap { height: 8px; }",
    ".kw-bot { align-self: flex-start; background: #f3f4f6; color: #1f2937; border-bottom-left-radius: 4px; }",
    ".kw-user { align-self: flex-end; background: var(--kw-accent); color: var(--kw-on-accent); border-bottom-right-radius: 4px; white-space: pre-wrap; }",
    ".kw-route-crisis { background: #fef2f2; color: #1f2937; border: 2px solid #b91c1c; border-left-width: 6px; }",
    ".kw-crisis-title { margin: 0 0 4px; font-weight: 700; color: #991b1b; }",
    ".kw-route-redirect { background: #fffbeb; color: #1f2937; border-left: 4px solid #b45309; }",
    ".kw-kind-reminder { background: #fef2f2; color: #1f2937; font-size: 14px; }",
    ".kw-notice { align-self: stretch; max-width: 100%; background: #fff7ed; color: #7c2d12; border: 1px solid #fdba74; }",
    ".kw-notice .kw-inline-help { margin-top: 6px; padding: 4px 10px; border: 1px solid #b91c1c; border-radius: 8px; background: #ffffff; color: #991b1b; font-weight: 600; cursor: pointer; }",
    ".kw-block-title { margin: 8px 0 2px; font-weight: 700; font-size: 14px; }",
    ".kw-sources ul { margin: 0; padding-left: 18px; }",
    ".kw-sources li { margin: 2px 0; font-size: 14px; }",
    ".kw-sources a { color: #1e40af; }",
    ".kw-reviewed { margin: 8px 0 0; font-size: 13px; color: #374151; }",
    ".kw-suggestions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 10px; }",
    ".kw-suggestion { padding: 6px 10px; border: 1px solid #1e40af; border-radius: 999px; background: #ffffff; color: #1e40af; font-size: 14px; text-align: left; cursor: pointer; }",
    ".kw-suggestion:hover { background: #eff6ff; }",
    ".kw-typing { display: flex; align-items: center; gap: 8px; padding: 0 16px 6px; color: #374151; font-size: 13px; min-height: 0; }",
    ".kw-dots { display: inline-flex; gap: 3px; }",
    ".kw-dots span { width: 6px; height: 6px; border-radius: 50%; background: #4b5563; animation: kw-blink 1.2s infinite ease-in-out; }",
    ".kw-dots span:nth-child(2) { animation-delay: .2s; }",
    ".kw-dots span:nth-child(3) { animation-delay: .4s; }",
    "@keyframes kw-blink { 0%, 80%, 100% { opacity: .3; } 40% { opacity: 1; } }",
    "@media (prefers-reduced-motion: reduce) { .kw-dots span { animation: none; } }",
    /* composer */
    ".kw-composer { display: flex; gap: 8px; padding: 10px 12px 6px; border-top: 1px solid #e5e7eb; background: #ffffff; }",
    ".kw-input { flex: 1; min-width: 0; padding: 9px 12px; border: 1px solid #6b7280; border-radius: 10px; background: #ffffff; color: #111827; }",
    ".kw-input::placeholder { color: #6b7280; opacity: 1; }",
    ".kw-send { flex: none; padding: 9px 16px; border: 0; border-radius: 10px; background: var(--kw-accent); color: var(--kw-on-accent); font-weight: 600; cursor: pointer; }",
    ".kw-footer { display: flex; justify-content: space-between; align-items: center; gap: 8px; padding: 0 12px 10px; background: #ffffff; font-size: 13px; color: #374151; }",
    ".kw-clear { padding: 4px 6px; border: 0; background: transparent; color: #374151; text-decoration: underline; cursor: pointer; }",
    "@media (max-width: 480px) {",
    "  .kw-panel { top: 0; right: 0; bottom: 0; left: 0; width: 100%; max-width: 100%; height: 100%; border: 0; border-radius: 0; }",
    "  .kw-dock { right: 8px; bottom: 8px; max-width: calc(100vw - 16px); }",
    "  .kw-launcher { padding: 10px 14px; }",
    "  .kw-header { padding: 8px 6px 8px 12px; gap: 6px; }",
    "  .kw-title { font-size: 15px; }",
    "  .kw-header .kw-help-btn { padding: 7px 10px; font-size: 14px; }",
    "  .kw-close { width: 36px; }",
    "  .kw-footer { flex-wrap: wrap; }",
    "  .kw-msg { max-width: 100%; }",
    "}",
    "@media (forced-colors: active) { .kw-msg, .kw-help, .kw-launcher, .kw-help-btn { border: 1px solid CanvasText; } }"
  ].join("\n");

  function applyStyles(shadow) {
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
    } catch (e) {
      shadow.appendChild(el("style", { text: CSS }));
    }
  }

  // ---------------------------------------------------------------- crisis resources (no server)
  var resourcesPromise = null;

  function loadResources() {
    if (window.KRATOM_RESOURCES) {
      return Promise.resolve(window.KRATOM_RESOURCES);
    }
    if (!resourcesPromise) {
      resourcesPromise = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = new URL("kratom-resources.js", scriptUrl).href;
        tag.async = true;
        tag.onload = function () {
          if (window.KRATOM_RESOURCES) {
            resolve(window.KRATOM_RESOURCES);
          } else {
            resourcesPromise = null;
            reject(new Error("kratom-resources.js defined nothing"));
          }
        };
        tag.onerror = function () {
          resourcesPromise = null;
          reject(new Error("could not load kratom-resources.js"));
        };
        (document.head || document.documentElement).appendChild(tag);
      });
    }
    return resourcesPromise;
  }

  function regionData(all) {
    return (all && (all[config.region] || all.US)) || null;
  }

  // ---------------------------------------------------------------- the widget
  var ui = {};
  var transcript = [];
  var busy = false;
  var generation = 0;

  function build() {
    var host = el("div", { id: "kratom-widget" });
    host.style.setProperty("--kw-accent", config.color);
    host.style.setProperty("--kw-on-accent", onAccent);
    var shadow = host.attachShadow({ mode: "open" });
    applyStyles(shadow);

    var icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    icon.setAttribute("focusable", "false");
    var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
    icon.appendChild(path);

    ui.dockHelp = button("Get help now", "kw-help-btn kw-dock-help", function () { showHelp(); },
      { "aria-controls": "kw-panel" });
    ui.launcher = button([icon, el("span", { class: "kw-launcher-label", text: config.title })], "kw-launcher", function () { openPanel(true); },
      { "aria-expanded": "false", "aria-controls": "kw-panel" });
    ui.dock = el("div", { class: "kw-dock" }, [ui.dockHelp, ui.launcher]);

    ui.headerHelp = button("Get help now", "kw-help-btn kw-header-help", function () {
      if (ui.help.hidden) { showHelp(); } else { hideHelp(true); }
    }, { "aria-expanded": "false", "aria-controls": "kw-help" });
    ui.close = button([el("span", { "aria-hidden": "true", text: "\u00d7" })], "kw-close", function () { closePanel(); },
      { "aria-label": "Close chat", title: "Close chat" });
    var header = el("div", { class: "kw-header" }, [el("h2", { class: "kw-title", id: "kw-title", text: config.title }), ui.headerHelp, ui.close]);

    var disclaimer = el("p", { class: "kw-disclaimer" }, ["Information, not medical advice. If you or someone else is in danger, use \u201cGet help now\u201d."]);

    ui.help = el("section", { class: "kw-help", id: "kw-help", "aria-labelledby": "kw-help-title", hidden: true });

    ui.log = el("div", { class: "kw-log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": "Conversation", "aria-busy": "false", tabindex: "0" });
    ui.typing = el("div", { class: "kw-typing", role: "status" });

    ui.input = el("input", {
      class: "kw-input", id: "kw-input", type: "text", autocomplete: "off", maxlength: String(MAX_CHARS),
      enterkeyhint: "send", placeholder: "Ask a question\u2026"
    });
    ui.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submitInput();
      }
    });
    ui.send = button("Send", "kw-send", function () { submitInput(); });
    var composer = el("div", { class: "kw-composer" }, [el("label", { class: "kw-sr", for: "kw-input", text: "Your question" }), ui.input, ui.send]);

    ui.clear = button("Clear conversation", "kw-clear", function () { clearConversation(); });
    ui.regionNote = el("span", { class: "kw-region", text: "Help numbers: " + config.region });
    var footer = el("div", { class: "kw-footer" }, [ui.clear, ui.regionNote]);

    ui.panel = el("div", { class: "kw-panel", id: "kw-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "kw-title", hidden: true },
      [header, disclaimer, ui.help, ui.log, ui.typing, composer, footer]);
    ui.announcer = el("div", { class: "kw-sr", role: "status" });

    ui.root = el("div", { class: "kw-root" }, [ui.dock, ui.panel, ui.announcer]);
    shadow.appendChild(ui.root);
    shadow.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !ui.panel.hidden) {
        event.preventDefault();
        closePanel();
      }
    });
    ui.host = host;
    ui.shadow = shadow;
    return host;
  }

  // ---------------------------------------------------------------- transcript rendering
  function welcome() {
    var node = el("div", { class: "kw-msg kw-bot kw-welcome" }, [srOnly("Assistant: ")]);
    appendLines(node, "Hi. I share checked information about kratom, opioid withdrawal and where to find help. What would you like to know?");
    return node;
  }

  function renderUser(entry) {
    var node = el("div", { class: "kw-msg kw-user" }, [srOnly("You: ")]);
    appendLines(node, entry.text);
    return node;
  }

  function renderBot(entry) {
    var data = entry.data || cleanData({});
    var route = data.route;
    var classes = "kw-msg kw-bot" + (route ? " kw-route-" + route : "") + (data.kind === "reminder" ? " kw-kind-reminder" : "");
    var node = el("div", { class: classes, "data-route": route || null });
    node.appendChild(srOnly(route === "crisis" ? "Assistant, urgent: " : "Assistant: "));
    if (route === "crisis") {
      node.appendChild(el("p", { class: "kw-crisis-title", text: "Help is available right now" }));
    }
    // An answer's text is the entry, then its sources as plain lines: show the entry, and the
    // sources as links below (from data.sources).
    var showAnswerOnly = route === "answer" && data.answer && entry.text.indexOf(data.answer) === 0;
    appendLines(node, showAnswerOnly ? data.answer : entry.text);

    if (data.resources.length) {
      node.appendChild(el("p", { class: "kw-block-title", text: route === "crisis" ? "Call or text now" : "Where to get help" }));
      node.appendChild(resourceList(data.resources, data.lang));
    }
    if (data.sources.length) {
      var items = data.sources.map(function (s) {
        var label = (s.organisation ? s.organisation + ": " : "") + (s.title ? "\u201c" + s.title + "\u201d" : s.url);
        var url = httpsUrl(s.url);
        var content = url
          ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, [label, srOnly(" (opens in a new tab)")])
          : el("span", { text: label });
        return el("li", {}, [content]);
      });
      node.appendChild(el("div", { class: "kw-sources" }, [el("p", { class: "kw-block-title", text: "Sources" }), el("ul", {}, items)]));
    }
    if (data.reviewed_on) {
      var review = "Reviewed " + data.reviewed_on;
      var details = [];
      if (data.reviewed_by) {
        details.push(data.reviewed_by);
      }
      if (data.clinical_review) {
        details.push(data.clinical_review === "signed" ? "clinically reviewed" : "clinical review " + data.clinical_review);
      }
      node.appendChild(el("p", { class: "kw-reviewed", text: review + (details.length ? " (" + details.join("; ") + ")" : "") }));
    }
    if (entry.buttons.length) {
      node.appendChild(el("div", { class: "kw-suggestions", role: "group", "aria-label": "Suggested questions" },
        entry.buttons.map(function (text) {
          return button(text, "kw-suggestion", function () { send(text); ui.input.focus(); });
        })));
    }
    return node;
  }

  function renderEntry(entry) {
    return entry.role === "user" ? renderUser(entry) : renderBot(entry);
  }

  function notice(text, withHelp) {
    var node = el("div", { class: "kw-msg kw-notice" }, [srOnly("Notice: ")]);
    appendLines(node, text);
    if (withHelp) {
      node.appendChild(button("Show help numbers", "kw-inline-help", function () { showHelp(); }));
    }
    ui.log.appendChild(node);
    scrollToEnd();
  }

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function persist() {
    transcript = transcript.slice(-MAX_STORED);
    setItem(local, STORE_LOG, JSON.stringify(transcript));
  }

  function addEntry(entry) {
    transcript.push(entry);
    persist();
    ui.log.appendChild(renderEntry(entry));
    scrollToEnd();
  }

  function restore() {
    var raw = getItem(local, STORE_LOG);
    var stored = [];
    if (raw) {
      try { stored = JSON.parse(raw); } catch (e) { stored = []; }
    }
    transcript = (Array.isArray(stored) ? stored : []).map(cleanEntry).filter(Boolean).slice(-MAX_STORED);
    ui.log.appendChild(welcome());
    transcript.forEach(function (entry) { ui.log.appendChild(renderEntry(entry)); });
  }

  function setBusy(value) {
    busy = value;
    ui.log.setAttribute("aria-busy", value ? "true" : "false");
    ui.typing.textContent = "";
    if (value) {
      ui.typing.appendChild(el("span", { class: "kw-dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]));
      ui.typing.appendChild(el("span", { text: "The assistant is typing\u2026" }));
    }
  }

  // ---------------------------------------------------------------- talking to the server
  function submitInput() {
    var text = ui.input.value;
    if (!text.trim() || busy) {
      return;
    }
    ui.input.value = "";
    send(text);
  }

  function send(text) {
    text = String(text || "").trim();
    if (!text || busy) {
      return;
    }
    if (text.length > MAX_CHARS) {
      notice("That message is too long. Please keep it under " + MAX_CHARS + " characters.", false);
      return;
    }
    addEntry({ role: "user", text: text, data: null, buttons: [] });
    if (!config.server) {
      notice("This chat is not connected to an assistant. If you need help now, use \u201cGet help now\u201d.", true);
      return;
    }
    var mine = generation;
    setBusy(true);
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = window.setTimeout(function () { if (controller) { controller.abort(); } }, TIMEOUT_MS);
    window.fetch(config.server + "/webhooks/rest/webhook", {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: senderId(), message: text, metadata: { region: config.region } }),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        return { status: response.status, ok: response.ok, body: body };
      });
    }).then(function (result) {
      if (mine !== generation) {
        return;
      }
      if (result.ok) {
        var entries = toEntries(result.body);
        if (!entries.length) {
          notice("Sorry, I have no reply to that. Please try asking another way.", false);
        }
        entries.forEach(addEntry);
      } else if (result.status >= 400 && result.status < 500) {
        var detail = isPlainObject(result.body) && result.status === 413 && isString(result.body.error) ? result.body.error : "";
        notice(detail || "Sorry, I couldn't read that message. Please try asking another way.", false);
      } else {
        notice("Sorry, the assistant is having trouble right now. If you need help now, the numbers are always here:", true);
      }
    }).catch(function () {
      if (mine === generation) {
        notice("Sorry, I couldn't reach the assistant just now. Please try again in a moment. If you need help now, the numbers are always here:", true);
      }
    }).then(function () {
      window.clearTimeout(timer);
      if (mine === generation) {
        setBusy(false);
      }
    });
  }

  function clearConversation() {
    generation += 1;
    setBusy(false);
    removeItem(local, STORE_LOG);
    removeItem(local, STORE_SENDER);
    transcript = [];
    ui.log.textContent = "";
    ui.log.appendChild(welcome());
    announce("Conversation cleared.");
    ui.input.focus();
  }

  function announce(text) {
    ui.announcer.textContent = "";
    window.setTimeout(function () { ui.announcer.textContent = text; }, 50);
  }

  // ---------------------------------------------------------------- panel and help
  function openPanel(focusInput) {
    ui.panel.hidden = false;
    ui.dock.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "true");
    setItem(session, STORE_OPEN, "1");
    scrollToEnd();
    if (focusInput) {
      ui.input.focus();
    }
  }

  function closePanel() {
    ui.panel.hidden = true;
    ui.dock.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "false");
    removeItem(session, STORE_OPEN);
    ui.launcher.focus();
  }

  function renderHelp(all) {
    var region = regionData(all);
    var lang = "en";
    ui.help.textContent = "";
    var title = el("h3", { id: "kw-help-title", tabindex: "-1" }, ["Get help now" + (region ? " \u00b7 " + region.name : "")]);
    ui.help.appendChild(title);
    if (!region) {
      var number = LAST_RESORT_EMERGENCY[config.region] || "911";
      ui.help.appendChild(el("p", { class: "kw-help-lead" }, ["If someone may be overdosing or is in danger, call your local emergency number now."]));
      ui.help.appendChild(resourceList([{ label: "Emergency services", phone: number }], lang));
    } else {
      var emergency = region.emergency || {};
      ui.help.appendChild(el("p", { class: "kw-help-lead", text: "If someone may be overdosing or is in danger, call " + (emergency.phone || "your local emergency number") + " now." }));
      var urgent = [region.emergency].concat(region.crisis_lines || [], region.poison ? [region.poison] : []).map(cleanResource).filter(Boolean);
      ui.help.appendChild(resourceList(urgent, lang));
      var treatment = (region.treatment || []).map(cleanResource).filter(Boolean);
      if (treatment.length) {
        ui.help.appendChild(el("h4", { text: "Treatment and support" }));
        ui.help.appendChild(resourceList(treatment, lang));
      }
      ui.regionNote.textContent = "Help numbers: " + region.name;
    }
    ui.help.appendChild(button("Hide help", "kw-help-hide", function () { hideHelp(true); }));
    return title;
  }

  function showHelp() {
    openPanel(false);
    ui.help.hidden = false;
    ui.headerHelp.setAttribute("aria-expanded", "true");
    var title = renderHelp(window.KRATOM_RESOURCES || null);
    title.focus();
    if (!window.KRATOM_RESOURCES) {
      loadResources().then(function (all) {
        if (!ui.help.hidden) {
          renderHelp(all).focus();
        }
      }, function () { /* the last-resort list is already shown */ });
    }
  }

  function hideHelp(returnFocus) {
    ui.help.hidden = true;
    ui.headerHelp.setAttribute("aria-expanded", "false");
    if (returnFocus) {
      ui.headerHelp.focus();
    }
  }

  // ---------------------------------------------------------------- start
  function init() {
    var host = build();
    restore();
    document.body.appendChild(host);
    loadResources().then(function (all) {
      var region = regionData(all);
      if (region) {
        ui.regionNote.textContent = "Help numbers: " + region.name;
      }
    }, function () { /* Get help now falls back to the emergency number */ });
    if (getItem(session, STORE_OPEN) === "1") {
      openPanel(false);
    }
  }

  window.KratomWidget = {
    open: function () { openPanel(true); },
    close: closePanel,
    showHelp: showHelp,
    clear: clearConversation
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
