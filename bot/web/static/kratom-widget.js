/*
 * Kratom & opioid withdrawal information assistant: the embeddable chat widget.
 *
 *   <script src="kratom-widget.js" data-server="http://127.0.0.1:5005" data-region="US"
 *           data-title="Kratom &amp; withdrawal info" data-color="#1d4ed8"
 *           data-expire-hours="24" data-exit-url="https://www.google.com/search?q=weather" defer></script>
 *
 * Plain JavaScript: no framework, no bundler, no build step. Everything lives in the shadow root
 * of one <div id="kratom-widget">; styles are a constructable stylesheet (allowed by a strict
 * Content-Security-Policy), with a <style> fallback for browsers without one.
 *
 * Rules this file keeps, and tests check:
 * - message text is only ever set with textContent / createTextNode, never parsed as HTML;
 * - the only links are knowledge-base sources (https only, new tab, noopener noreferrer) and
 *   tel:/sms: links for help lines;
 * - "Get help now" needs no server: it reads kratom-resources.js from this script's folder,
 *   which also carries the policy's crisis rules (window.KRATOM_CRISIS) for an in-browser check
 *   when the assistant cannot be reached;
 * - a message that could not be delivered is marked "Not delivered" with a Retry button, and the
 *   region's emergency and crisis numbers are shown with it, whatever the message said.
 *
 * The REST channel: POST {server}/webhooks/rest/webhook {sender, message, metadata: {region}};
 * the reply is a list of {text, buttons} and {custom: {data}} messages (data may be a JSON string,
 * see bot/contract.py ReplyData). Messages are sent one at a time, in order; those typed while a
 * reply is pending wait in a queue. The sender id is random and kept in localStorage with the
 * shown transcript, so a reload keeps the conversation; both expire after data-expire-hours
 * (24 by default). "Clear conversation" (after a confirmation) and "Quick exit" forget both, and
 * ask the server to forget the conversation too: POST {server}/webhooks/rest/forget {sender}, sent
 * as text/plain with keepalive so that it needs no CORS preflight and still goes out while Quick
 * exit leaves the page. Only this device knows the random sender id (the server keeps a keyed
 * hash of it), so holding it is what allows the deletion.
 *
 * Knowledge-base answers carry two thumbs buttons: POST {server}/webhooks/rest/feedback
 * {entry, vote: "up"|"down"}; the server keeps a count per entry, nothing else. One vote per
 * answer on this device (kept with the transcript, so it expires with it).
 *
 * The first screen offers starter questions the knowledge base answers (tests/e2e send each one
 * to the real stack). The EN/ES switch changes the widget's own words, lang attributes and
 * starter questions; replies keep following the language a message is written in (the
 * guardrail detects it from the text). Once chosen, the switch wins over a reply's language for
 * the widget's words; the choice lasts for the browser tab (sessionStorage) and Quick exit
 * forgets it. data-lang="es" starts the widget in Spanish.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.KratomWidget) {
    return;
  }

  var STORE_SENDER = "kratom-widget.sender";
  var STORE_LOG = "kratom-widget.transcript";
  var STORE_SAVED = "kratom-widget.saved";
  var STORE_OPEN = "kratom-widget.open";
  var STORE_LANG = "kratom-widget.lang";
  var ENTRY_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/; // the knowledge base's id rule (knowledge/validate.py)
  var MAX_STORED = 80;
  var MAX_CHARS = 20000; // the server reads up to 20,000 characters (bot/channels/text.py)
  var NEAR_CHARS = 18000; // the counter turns red from here
  var REGION_CODES = ["US", "CA", "UK", "IE", "AU"];
  var ROUTES = ["crisis", "redirect", "answer", "fallback", "smalltalk"];
  // Only used if kratom-resources.js cannot be loaded at all.
  var LAST_RESORT_EMERGENCY = { US: "911", CA: "911", UK: "999", IE: "112", AU: "000" };
  var DEFAULT_COLOR = "#1d4ed8";
  var DEFAULT_EXIT = "https://www.google.com/search?q=weather";
  var INK = "#111827";
  var PHONE_QUERY = "(max-width: 480px), (max-height: 480px)";

  // ---------------------------------------------------------------- configuration
  var ds = script.dataset || {};
  var scriptUrl = script.src || window.location.href;
  var config = {
    server: parseServer(ds.server),
    region: parseRegion(ds.region),
    title: (ds.title || "Kratom & withdrawal info").slice(0, 80),
    color: parseHex(ds.color) ? ds.color : DEFAULT_COLOR,
    expireHours: parseNumber(ds.expireHours, 24, 0.0001, 24 * 30),
    exitUrl: httpsUrl(ds.exitUrl || "") || DEFAULT_EXIT,
    timeoutMs: Math.round(parseNumber(ds.timeoutSeconds, 8, 1, 120) * 1000),
    lang: ds.lang === "es" ? "es" : "en"
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

  function parseNumber(value, fallback, min, max) {
    var n = parseFloat(value);
    return isFinite(n) && n >= min && n <= max ? n : fallback;
  }

  function httpsUrl(value) {
    if (typeof value !== "string" || !value) {
      return null;
    }
    try {
      var url = new URL(value);
      return url.protocol === "https:" && !url.username && !url.password ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  // ---------------------------------------------------------------- labels (English, Spanish)
  var LABELS = {
    en: {
      help: "Get help now", closeHelp: "Close help",
      helpLead: "If someone may be overdosing or is in danger, call {n} now.",
      helpLeadLocal: "If someone may be overdosing or is in danger, call your local emergency number now.",
      treatment: "Treatment and support", emergency: "Emergency services",
      call: "Call", text: "Text", sources: "Sources", moreSources: "{n} more in the full entry",
      reviewed: "Reviewed", clinicallyReviewed: "clinically reviewed", clinicalReview: "clinical review",
      crisisTitle: "Help is available right now", callNow: "Call or text now", whereHelp: "Where to get help",
      assistant: "Assistant: ", urgent: "Assistant, urgent: ", you: "You: ", notice: "Notice: ",
      suggested: "Suggested questions", newTab: " (opens in a new tab)",
      sending: "Sending\u2026", queued: "Waiting to send\u2026", notDelivered: "Not delivered \u2014", retry: "Retry",
      retryLabel: "Retry sending this message",
      unreachable: "Sorry, I couldn't reach the assistant just now, so your message was not delivered. You can retry in a moment. If you need help now, call or text:",
      timeout: "Sorry, I couldn't reach the assistant in time, so your message was not delivered. You can retry in a moment. If you need help now, call or text:",
      trouble: "Sorry, the assistant is having trouble right now, so your message was not delivered. You can retry in a moment. If you need help now, call or text:",
      notConnected: "This chat is not connected to an assistant. If you need help now, call or text:",
      crisisOffline: "You don't have to wait for the assistant. Please reach someone right now:",
      moreHelp: "All help numbers", typing: "The assistant is typing\u2026",
      noReply: "Sorry, I have no reply to that. Please try asking another way.",
      unreadable: "Sorry, I couldn't read that message. Please try asking another way.",
      tooLong: "{n} characters over the limit. Shorten it to send.",
      nearLimit: "{n} characters left.",
      placeholder: "Ask a question\u2026", send: "Send", yourQuestion: "Your question",
      clear: "Clear conversation", clearAsk: "Clear this conversation from this device?", clearYes: "Yes, clear", cancel: "Cancel",
      cleared: "Conversation cleared.", exit: "Quick exit",
      privacy: "Saved on this device for {h}. On a shared phone, use Quick exit.",
      disclaimer: "Information, not medical advice. If you or someone else is in danger, use \u201cGet help now\u201d.",
      helpNumbers: "Help numbers: ", closeChat: "Close chat",
      welcome: "Hi. I share checked information about kratom, opioid withdrawal and where to find help. What would you like to know?",
      welcomeOther: "Tambi\u00e9n puedes escribir en espa\u00f1ol.", welcomeOtherLang: "es",
      starters: "Questions to start with", language: "Language",
      helpfulAsk: "Was this helpful?", helpful: "Helpful", notHelpful: "Not helpful",
      thanks: "Thanks for the feedback.", feedbackFailed: "Sorry, your feedback was not sent. Please try again later."
    },
    es: {
      help: "Obtener ayuda ahora", closeHelp: "Cerrar ayuda",
      helpLead: "Si alguien puede tener una sobredosis o est\u00e1 en peligro, llama al {n} ahora.",
      helpLeadLocal: "Si alguien puede tener una sobredosis o est\u00e1 en peligro, llama ahora al n\u00famero de emergencias.",
      treatment: "Tratamiento y apoyo", emergency: "Servicios de emergencia",
      call: "Llamar al", text: "Texto al", sources: "Fuentes", moreSources: "{n} m\u00e1s en la entrada completa",
      reviewed: "Revisado", clinicallyReviewed: "revisi\u00f3n cl\u00ednica hecha", clinicalReview: "revisi\u00f3n cl\u00ednica",
      crisisTitle: "Hay ayuda disponible ahora mismo", callNow: "Llama o escribe ahora", whereHelp: "D\u00f3nde encontrar ayuda",
      assistant: "Asistente: ", urgent: "Asistente, urgente: ", you: "T\u00fa: ", notice: "Aviso: ",
      suggested: "Preguntas sugeridas", newTab: " (se abre en una pesta\u00f1a nueva)",
      sending: "Enviando\u2026", queued: "Esperando para enviar\u2026", notDelivered: "No enviado \u2014", retry: "Reintentar",
      retryLabel: "Reintentar el env\u00edo de este mensaje",
      unreachable: "Lo siento, no pude conectar con el asistente y tu mensaje no se envi\u00f3. Puedes reintentar en un momento. Si necesitas ayuda ahora, llama o escribe:",
      timeout: "Lo siento, el asistente no respondi\u00f3 a tiempo y tu mensaje no se envi\u00f3. Puedes reintentar en un momento. Si necesitas ayuda ahora, llama o escribe:",
      trouble: "Lo siento, el asistente tiene problemas ahora y tu mensaje no se envi\u00f3. Puedes reintentar en un momento. Si necesitas ayuda ahora, llama o escribe:",
      notConnected: "Este chat no est\u00e1 conectado a un asistente. Si necesitas ayuda ahora, llama o escribe:",
      crisisOffline: "No tienes que esperar al asistente. Por favor, habla con alguien ahora mismo:",
      moreHelp: "Todos los n\u00fameros de ayuda", typing: "El asistente est\u00e1 escribiendo\u2026",
      noReply: "Lo siento, no tengo respuesta para eso. Intenta preguntarlo de otra forma.",
      unreadable: "Lo siento, no pude leer ese mensaje. Intenta preguntarlo de otra forma.",
      tooLong: "{n} caracteres por encima del l\u00edmite. Ac\u00f3rtalo para enviarlo.",
      nearLimit: "Quedan {n} caracteres.",
      placeholder: "Haz una pregunta\u2026", send: "Enviar", yourQuestion: "Tu pregunta",
      clear: "Borrar conversaci\u00f3n", clearAsk: "\u00bfBorrar esta conversaci\u00f3n de este dispositivo?", clearYes: "S\u00ed, borrar", cancel: "Cancelar",
      cleared: "Conversaci\u00f3n borrada.", exit: "Salida r\u00e1pida",
      privacy: "Se guarda en este dispositivo durante {h}. En un tel\u00e9fono compartido, usa Salida r\u00e1pida.",
      disclaimer: "Informaci\u00f3n, no consejo m\u00e9dico. Si t\u00fa u otra persona est\u00e1n en peligro, usa \u201cObtener ayuda ahora\u201d.",
      helpNumbers: "N\u00fameros de ayuda: ", closeChat: "Cerrar chat",
      welcome: "Hola. Comparto informaci\u00f3n verificada sobre el kratom, la abstinencia de opioides y d\u00f3nde encontrar ayuda. \u00bfQu\u00e9 te gustar\u00eda saber?",
      welcomeOther: "You can also write in English.", welcomeOtherLang: "en",
      starters: "Preguntas para empezar", language: "Idioma",
      helpfulAsk: "\u00bfTe sirvi\u00f3?", helpful: "Me sirvi\u00f3", notHelpful: "No me sirvi\u00f3",
      thanks: "Gracias por tu opini\u00f3n.", feedbackFailed: "Lo siento, tu opini\u00f3n no se envi\u00f3. Int\u00e9ntalo m\u00e1s tarde."
    }
  };
  var uiLang = "en";
  var chosenLang = null; // set by the EN/ES switch (or data-lang): replies no longer change the chrome

  // Starter questions: each one is answered by a knowledge-base entry in that language, the
  // same entry for the same place in both lists (tests/e2e/test_widget.py sends every one to
  // the real stack). Close rewordings can land elsewhere ("...treatment near me?" is taken as a
  // request for a local referral), so change them only with that test running.
  var STARTERS = {
    en: ["Does kratom help with opioid withdrawal?", "Is kratom safe?", "How is opioid withdrawal treated?",
         "How can I find addiction treatment?"],
    es: ["\u00bfEl kratom ayuda con la abstinencia de opioides?", "\u00bfEs seguro el kratom?",
         "\u00bfC\u00f3mo se trata la abstinencia de opioides?", "\u00bfC\u00f3mo puedo encontrar tratamiento para la adicci\u00f3n?"]
  };

  function L(key, lang, n) {
    var table = LABELS[lang === "es" ? "es" : "en"];
    var text = table[key] !== undefined ? table[key] : LABELS.en[key];
    return n === undefined ? text : text.replace("{n}", String(n));
  }

  function hoursText(lang) {
    var h = config.expireHours;
    if (lang === "es") {
      return h >= 1 ? Math.round(h) + (Math.round(h) === 1 ? " hora" : " horas") : "menos de una hora";
    }
    return h >= 1 ? Math.round(h) + (Math.round(h) === 1 ? " hour" : " hours") : "less than an hour";
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

  function forgetStored() {
    removeItem(local, STORE_LOG);
    removeItem(local, STORE_SENDER);
    removeItem(local, STORE_SAVED);
  }

  // The stored conversation is forgotten once it is older than data-expire-hours (counted from
  // the last message), or when it carries no time at all.
  function storedExpired() {
    if (getItem(local, STORE_LOG) === null && getItem(local, STORE_SENDER) === null) {
      return false;
    }
    var saved = parseInt(getItem(local, STORE_SAVED) || "", 10);
    return !isFinite(saved) || Date.now() - saved > config.expireHours * 3600 * 1000 || saved > Date.now() + 60000;
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
    setItem(local, STORE_SAVED, String(Date.now()));
    return id;
  }

  // ---------------------------------------------------------------- in-browser crisis check
  // A port of the first steps of guardrails/normalize.py (NFKC, invisible characters, lower
  // case, no accents, masked and repeated letters, spelling fixes), then the policy's crisis
  // rules as generated into kratom-resources.js. Used only when the assistant cannot answer.
  var crisisRules = null;

  function compileCrisis(spec) {
    if (crisisRules || !spec || !Array.isArray(spec.rules)) {
      return crisisRules;
    }
    function re(p, flags) { try { return new RegExp(p, flags || ""); } catch (e) { return null; } }
    function list(ps, flags) { return (Array.isArray(ps) ? ps : []).map(function (p) { return re(p, flags); }).filter(Boolean); }
    crisisRules = {
      rules: spec.rules.map(function (r) {
        return { when: (r.when || []).map(function (c) { return { all: list(c.all), none: list(c.none) }; }), unless: list(r.unless) };
      }),
      spanish: list(spec.spanish, "g"),
      english: list(spec.english, "g"),
      spelling: isPlainObject(spec.spelling) ? spec.spelling : {}
    };
    return crisisRules;
  }

  function foldText(text) {
    var s = String(text || "");
    if (s.normalize) {
      s = s.normalize("NFKC");
    }
    s = s.replace(/[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e]/g, "")
      .replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, "\"").replace(/[\u2013\u2014]/g, "-").toLowerCase();
    if (s.normalize) {
      s = s.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
    }
    s = s.replace(/([a-z])[*._](?=[a-z])/g, "$1").replace(/([a-z])\1{2,}/g, "$1");
    var spelling = crisisRules ? crisisRules.spelling : {};
    s = s.replace(/[a-z0-9'\/]+/g, function (w) {
      return Object.prototype.hasOwnProperty.call(spelling, w) ? spelling[w] : w;
    });
    return s.replace(/\s+/g, " ").trim();
  }

  function isCrisisText(text) {
    var rules = compileCrisis(window.KRATOM_CRISIS);
    if (!rules) {
      return false;
    }
    var s = foldText(text);
    function hit(p) { return p.test(s); }
    return rules.rules.some(function (r) {
      return r.when.some(function (c) { return c.all.length > 0 && c.all.every(hit) && !c.none.some(hit); }) && !r.unless.some(hit);
    });
  }

  // The rule of guardrails/policy.py (Policy.language): an inverted ? or !, or more Spanish
  // signs (an accented letter counts as one) than English ones.
  function looksSpanish(text) {
    var rules = compileCrisis(window.KRATOM_CRISIS);
    var raw = String(text || "");
    if (/[\u00bf\u00a1]/.test(raw)) {
      return true;
    }
    if (!rules) {
      return false;
    }
    var s = foldText(text);
    function count(ps) {
      var n = 0;
      ps.forEach(function (p) { p.lastIndex = 0; n += (s.match(p) || []).length; });
      return n;
    }
    var spanish = count(rules.spanish) + (/[\u00e1\u00e9\u00ed\u00f3\u00fa\u00f1]/.test(raw.toLowerCase()) ? 1 : 0);
    return spanish >= 1 && spanish > count(rules.english);
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
    var more = typeof d.more_sources === "number" && d.more_sources > 0 ? Math.min(Math.floor(d.more_sources), 99) : 0;
    return {
      route: ROUTES.indexOf(d.route) >= 0 ? d.route : "",
      kind: str(d.kind, 40),
      lang: d.lang === "es" ? "es" : "en",
      entry_id: typeof d.entry_id === "string" && d.entry_id.length <= 100 && ENTRY_ID.test(d.entry_id) ? d.entry_id : "",
      answer: str(d.answer, 8000),
      sources: cleanList(d.sources, cleanSource, 12),
      more_sources: more,
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
    var entry = { role: e.role, text: str(e.text, MAX_CHARS), data: cleanData(e.data), buttons: cleanButtons(e.buttons) };
    if (e.role === "user" && (e.status === "failed" || e.status === "pending" || e.status === "queued")) {
      entry.status = "failed"; // a reload while a message was on its way: it may not have arrived
    }
    if (e.role === "bot" && (e.vote === "up" || e.vote === "down")) {
      entry.vote = e.vote;
    }
    return entry;
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

  // One paragraph per line of the message; "- " lines become a list; blank lines become gaps.
  // URLs stay plain text. `replace(line)` may return a node to show instead of a line, or true to
  // drop it (a help line shown as buttons).
  function appendLines(parent, text, replace) {
    var lastWasGap = true;
    var list = null;
    String(text || "").split(/\r?\n/).forEach(function (line) {
      var swap = replace ? replace(line) : null;
      if (swap) {
        list = null;
        if (swap !== true) {
          parent.appendChild(swap);
        }
        lastWasGap = false;
        return;
      }
      if (line.trim() === "") {
        list = null;
        if (!lastWasGap) {
          parent.appendChild(el("div", { class: "kw-gap", "aria-hidden": "true" }));
        }
        lastWasGap = true;
        return;
      }
      var bullet = /^\s*[-\u2022*]\s+(.*)$/.exec(line);
      if (bullet && bullet[1].trim()) {
        if (!list) {
          list = el("ul", { class: "kw-list" });
          parent.appendChild(list);
        }
        list.appendChild(el("li", { class: "kw-li", text: bullet[1] }));
      } else {
        list = null;
        parent.appendChild(el("p", { class: "kw-line", text: line }));
      }
      lastWasGap = false;
    });
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
    return el("a", { class: "kw-res-link kw-" + scheme, href: scheme + ":" + digits }, [verb + " " + number, srOnly(" (" + context + ")")]);
  }

  // `compact` (the help sheet): a line's web address only when it has no number to call or text.
  function resourceItem(r, lang, compact) {
    var actions = el("span", { class: "kw-res-actions" });
    if (r.phone) {
      actions.appendChild(phoneLink("tel", r.phone, L("call", lang), r.label));
    }
    if (r.sms) {
      actions.appendChild(phoneLink("sms", r.sms, L("text", lang), r.label));
    }
    var item = el("li", { class: "kw-res" }, [el("span", { class: "kw-res-label", text: r.label }), actions]);
    if (r.web && !(compact && (r.phone || r.sms))) {
      item.appendChild(el("span", { class: "kw-res-web", text: r.web }));
    }
    if (lang === "es" && r.note_es) {
      item.appendChild(el("span", { class: "kw-res-note", text: r.note_es }));
    }
    return item;
  }

  function resourceList(resources, lang, urgent, compact) {
    return el("ul", { class: "kw-res-list" + (urgent ? " kw-res-urgent" : "") },
      resources.map(function (r) { return resourceItem(r, lang, compact); }));
  }

  // ---------------------------------------------------------------- styles
  var LIGHT = [
    "--kw-bg: #ffffff", "--kw-fg: #1f2937", "--kw-strong: #111827", "--kw-muted: #374151", "--kw-surface: #f3f4f6",
    "--kw-border: #d1d5db", "--kw-rule: #e5e7eb", "--kw-link: #1e40af", "--kw-hover: #eff6ff",
    "--kw-crisis-bg: #fef2f2", "--kw-crisis-fg: #991b1b", "--kw-redirect-bg: #fffbeb", "--kw-notice-bg: #fff7ed",
    "--kw-notice-fg: #7c2d12", "--kw-notice-border: #fdba74", "--kw-focus: #111827", "--kw-halo: #ffffff",
    "--kw-field: #6b7280", "--kw-placeholder: #6b7280", "--kw-warn: #b91c1c"
  ].join("; ");
  var DARK = [
    "--kw-bg: #111827", "--kw-fg: #e5e7eb", "--kw-strong: #f9fafb", "--kw-muted: #d1d5db", "--kw-surface: #1f2937",
    "--kw-border: #4b5563", "--kw-rule: #374151", "--kw-link: #93c5fd", "--kw-hover: #1e3a5f",
    "--kw-crisis-bg: #2b1215", "--kw-crisis-fg: #fca5a5", "--kw-redirect-bg: #2a2110", "--kw-notice-bg: #2b1a0e",
    "--kw-notice-fg: #fed7aa", "--kw-notice-border: #9a3412", "--kw-focus: #f9fafb", "--kw-halo: #111827",
    "--kw-field: #9ca3af", "--kw-placeholder: #9ca3af", "--kw-warn: #fca5a5"
  ].join("; ");

  var CSS = [
    ":host { all: initial; }",
    "*, *::before, *::after { box-sizing: border-box; }",
    "[hidden] { display: none !important; }",
    ".kw-root { " + LIGHT + "; font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; color: var(--kw-fg); }",
    "@media (prefers-color-scheme: dark) { .kw-root { " + DARK + "; color-scheme: dark; } }",
    "button, input, textarea { font: inherit; }",
    ".kw-sr { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }",
    ":focus { outline: none; }",
    ":focus-visible { outline: 3px solid var(--kw-focus); outline-offset: 2px; box-shadow: 0 0 0 2px var(--kw-halo); }",
    /* dock: launcher + Get help when the panel is closed */
    ".kw-dock { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; display: flex; flex-wrap: wrap; justify-content: flex-end; align-items: center; gap: 8px; max-width: calc(100vw - 32px); }",
    ".kw-launcher { display: inline-flex; align-items: center; gap: 8px; max-width: 100%; min-height: 44px; padding: 12px 18px; border: 0; border-radius: 999px; background: var(--kw-accent); color: var(--kw-on-accent); font-weight: 600; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); }",
    ".kw-launcher svg { width: 20px; height: 20px; flex: none; fill: currentColor; }",
    ".kw-help-btn { min-height: 44px; padding: 10px 14px; border: 2px solid #ffffff; border-radius: 999px; background: #b91c1c; color: #ffffff; font-weight: 700; cursor: pointer; white-space: nowrap; }",
    ".kw-dock .kw-help-btn { box-shadow: 0 4px 14px rgba(0,0,0,.25); }",
    ".kw-help-btn:hover { background: #991b1b; }",
    /* panel */
    ".kw-panel { position: fixed; right: 16px; bottom: 16px; z-index: 2147483001; display: flex; flex-direction: column; width: 400px; max-width: calc(100vw - 32px); height: min(760px, calc(100vh - 32px)); background: var(--kw-bg); color: var(--kw-fg); border: 1px solid var(--kw-border); border-radius: 14px; overflow: hidden; box-shadow: 0 12px 40px rgba(0,0,0,.28); }",
    ".kw-header { flex: none; display: flex; align-items: center; gap: 8px; padding: 8px 8px 8px 16px; background: var(--kw-accent); color: var(--kw-on-accent); }",
    ".kw-title { flex: 1; min-width: 0; margin: 0; font-size: 16px; font-weight: 700; line-height: 1.3; color: var(--kw-on-accent); overflow-wrap: break-word; }",
    ".kw-close { flex: none; width: 44px; height: 44px; border: 0; border-radius: 8px; background: transparent; color: var(--kw-on-accent); font-size: 26px; line-height: 1; cursor: pointer; }",
    ".kw-main { position: relative; flex: 1 1 auto; min-height: 0; display: flex; flex-direction: column; }",
    ".kw-disclaimer, .kw-typing, .kw-composer, .kw-footer { flex: none; }",
    ".kw-disclaimer { margin: 0; padding: 6px 16px; background: var(--kw-surface); color: var(--kw-muted); font-size: 13px; border-bottom: 1px solid var(--kw-rule); }",
    /* help sheet: covers everything below the header; its content keeps its full size and the
       sheet scrolls as a whole on a short screen (it never shrinks against the transcript) */
    ".kw-help { position: absolute; top: 0; right: 0; bottom: 0; left: 0; z-index: 3; overflow-y: auto; overscroll-behavior: contain; padding: 12px 16px 16px; background: var(--kw-bg); color: var(--kw-fg); border-top: 4px solid #b91c1c; }",
    ".kw-help-top { display: flex; align-items: flex-start; gap: 8px; }",
    ".kw-help h3 { flex: 1; min-width: 0; margin: 10px 0 4px; font-size: 17px; line-height: 1.3; color: var(--kw-crisis-fg); }",
    ".kw-help-close { order: 2; flex: none; width: 44px; height: 44px; border: 1px solid var(--kw-border); border-radius: 8px; background: var(--kw-bg); color: var(--kw-strong); font-size: 24px; line-height: 1; cursor: pointer; }",
    ".kw-help h4 { margin: 10px 0 2px; padding-top: 8px; border-top: 1px solid var(--kw-rule); font-size: 15px; color: var(--kw-strong); }",
    ".kw-help-lead { margin: 0 0 6px; font-weight: 600; line-height: 1.35; }",
    ".kw-help .kw-res { margin-bottom: 6px; }",
    ".kw-help .kw-res-label { font-size: 14px; line-height: 1.3; margin-bottom: 3px; }",
    ".kw-res-list { margin: 4px 0 0; padding: 0; list-style: none; }",
    ".kw-res { margin: 0 0 10px; }",
    ".kw-res-label { display: block; font-weight: 600; margin-bottom: 4px; }",
    ".kw-res-actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }",
    ".kw-res-link { display: inline-flex; align-items: center; justify-content: center; flex: none; min-width: 48px; min-height: 46px; padding: 6px 16px; border: 2px solid var(--kw-link); border-radius: 10px; background: var(--kw-bg); color: var(--kw-link); font-size: 16px; font-weight: 700; text-decoration: none; }",
    ".kw-res-link:hover { background: var(--kw-hover); }",
    ".kw-res-urgent .kw-res-link, .kw-route-crisis .kw-res-link { background: #b91c1c; border-color: #b91c1c; color: #ffffff; }",
    ".kw-res-urgent .kw-res-link:hover, .kw-route-crisis .kw-res-link:hover { background: #991b1b; }",
    ".kw-res-web, .kw-res-note, .kw-res-plain { display: block; margin-top: 2px; color: var(--kw-muted); font-size: 14px; overflow-wrap: anywhere; }",
    /* transcript */
    ".kw-log { flex: 1 1 auto; min-height: 80px; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 10px; background: var(--kw-bg); }",
    ".kw-msg { flex: none; max-width: 92%; padding: 9px 12px; border-radius: 12px; overflow-wrap: anywhere; }",
    ".kw-line { margin: 0; }",
    ".kw-list { margin: 2px 0; padding-left: 20px; }",
    ".kw-li { margin: 2px 0; }",
    ".kw-gap { height: 8px; }",
    ".kw-bot { align-self: flex-start; background: var(--kw-surface); color: var(--kw-fg); border-bottom-left-radius: 4px; }",
    ".kw-user { align-self: flex-end; background: var(--kw-accent); color: var(--kw-on-accent); border-bottom-right-radius: 4px; white-space: pre-wrap; }",
    ".kw-status { margin: 4px 0 0; font-size: 13px; white-space: normal; }",
    ".kw-user.kw-failed { background: var(--kw-crisis-bg); color: var(--kw-fg); border: 2px solid #b91c1c; }",
    ".kw-failed .kw-status { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; color: var(--kw-crisis-fg); font-weight: 700; }",
    ".kw-retry { min-height: 44px; min-width: 44px; padding: 6px 14px; border: 2px solid #b91c1c; border-radius: 10px; background: var(--kw-bg); color: var(--kw-crisis-fg); font-weight: 700; cursor: pointer; }",
    ".kw-route-crisis { background: var(--kw-crisis-bg); color: var(--kw-fg); border: 2px solid #b91c1c; border-left-width: 6px; }",
    ".kw-crisis-title { margin: 0 0 4px; font-weight: 700; color: var(--kw-crisis-fg); }",
    ".kw-route-redirect { background: var(--kw-redirect-bg); color: var(--kw-fg); border-left: 4px solid #b45309; }",
    ".kw-kind-reminder { background: var(--kw-crisis-bg); color: var(--kw-fg); font-size: 14px; }",
    ".kw-msg .kw-res-list { margin: 6px 0; }",
    ".kw-notice { align-self: stretch; max-width: 100%; background: var(--kw-notice-bg); color: var(--kw-notice-fg); border: 1px solid var(--kw-notice-border); }",
    ".kw-notice.kw-notice-crisis { background: var(--kw-crisis-bg); color: var(--kw-fg); border: 2px solid #b91c1c; border-left-width: 6px; }",
    ".kw-inline-help { margin-top: 6px; color: var(--kw-fg); }",
    ".kw-more-help { min-height: 44px; margin-top: 2px; padding: 6px 12px; border: 1px solid #b91c1c; border-radius: 8px; background: var(--kw-bg); color: var(--kw-crisis-fg); font-weight: 600; cursor: pointer; }",
    ".kw-block-title { margin: 8px 0 2px; font-weight: 700; font-size: 14px; }",
    ".kw-sources { margin-top: 8px; }",
    ".kw-sources summary { display: list-item; cursor: pointer; font-weight: 700; font-size: 14px; color: var(--kw-strong); padding: 6px 0; }",
    ".kw-sources ul { margin: 0; padding-left: 18px; }",
    ".kw-sources li, .kw-more-sources { margin: 2px 0; font-size: 14px; }",
    ".kw-more-sources { color: var(--kw-muted); }",
    ".kw-sources a { color: var(--kw-link); }",
    ".kw-reviewed { margin: 8px 0 0; font-size: 13px; color: var(--kw-muted); }",
    ".kw-suggestions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 10px; }",
    ".kw-suggestion { min-height: 44px; padding: 6px 12px; border: 1px solid var(--kw-link); border-radius: 22px; background: var(--kw-bg); color: var(--kw-link); font-size: 14px; text-align: left; cursor: pointer; }",
    ".kw-suggestion:hover { background: var(--kw-hover); }",
    ".kw-welcome .kw-starters { margin-top: 8px; }",
    /* thumbs under an answer: 44 px targets, the pressed one filled */
    ".kw-feedback { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin-top: 8px; }",
    ".kw-feedback-ask, .kw-feedback-status { font-size: 13px; color: var(--kw-muted); }",
    ".kw-vote { display: inline-flex; align-items: center; justify-content: center; width: 44px; height: 44px; padding: 0; border: 1px solid var(--kw-field); border-radius: 10px; background: var(--kw-bg); color: var(--kw-strong); cursor: pointer; }",
    ".kw-vote svg { width: 20px; height: 20px; fill: currentColor; }",
    ".kw-vote:hover { background: var(--kw-hover); }",
    ".kw-vote[aria-pressed=true] { background: var(--kw-strong); border-color: var(--kw-strong); color: var(--kw-bg); }",
    ".kw-vote[aria-disabled=true] { cursor: default; }",
    ".kw-vote[aria-disabled=true]:not([aria-pressed=true]) { border-style: dashed; }",
    ".kw-typing { display: flex; align-items: center; gap: 8px; padding: 0 16px 6px; color: var(--kw-muted); font-size: 13px; min-height: 0; background: var(--kw-bg); }",
    ".kw-dots { display: inline-flex; gap: 3px; }",
    ".kw-dots span { width: 6px; height: 6px; border-radius: 50%; background: var(--kw-muted); animation: kw-blink 1.2s infinite ease-in-out; }",
    ".kw-dots span:nth-child(2) { animation-delay: .2s; }",
    ".kw-dots span:nth-child(3) { animation-delay: .4s; }",
    "@keyframes kw-blink { 0%, 80%, 100% { opacity: .3; } 40% { opacity: 1; } }",
    "@media (prefers-reduced-motion: reduce) { .kw-dots span { animation: none; } }",
    /* composer */
    ".kw-composer { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 4px 8px; padding: 8px 12px 4px; border-top: 1px solid var(--kw-rule); background: var(--kw-bg); }",
    ".kw-input { flex: 1; min-width: 0; min-height: 44px; max-height: 140px; padding: 10px 12px; border: 1px solid var(--kw-field); border-radius: 10px; background: var(--kw-bg); color: var(--kw-strong); line-height: 1.4; resize: none; overflow-y: auto; }",
    ".kw-input::placeholder { color: var(--kw-placeholder); opacity: 1; }",
    ".kw-send { flex: none; min-height: 44px; padding: 9px 16px; border: 0; border-radius: 10px; background: var(--kw-accent); color: var(--kw-on-accent); font-weight: 600; cursor: pointer; }",
    ".kw-counter { flex-basis: 100%; margin: 0; text-align: right; font-size: 12px; color: var(--kw-muted); }",
    ".kw-counter.kw-near, .kw-counter.kw-over { color: var(--kw-warn); font-weight: 700; }",
    ".kw-footer { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: 2px 8px; padding: 0 12px 8px; background: var(--kw-bg); font-size: 13px; color: var(--kw-muted); }",
    ".kw-clear, .kw-clear-cancel { min-height: 32px; padding: 4px 6px; border: 0; background: transparent; color: var(--kw-muted); text-decoration: underline; cursor: pointer; }",
    ".kw-clear-confirm { min-height: 36px; padding: 4px 10px; border: 2px solid #b91c1c; border-radius: 8px; background: var(--kw-bg); color: var(--kw-crisis-fg); font-weight: 700; cursor: pointer; }",
    ".kw-confirm { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; flex-basis: 100%; }",
    ".kw-confirm-text { margin: 0; font-weight: 600; color: var(--kw-strong); }",
    ".kw-exit { min-height: 32px; padding: 4px 10px; border: 1px solid var(--kw-field); border-radius: 8px; background: var(--kw-surface); color: var(--kw-strong); font-weight: 600; cursor: pointer; }",
    ".kw-privacy { flex-basis: 100%; margin: 0; font-size: 12px; color: var(--kw-muted); }",
    ".kw-lang { display: inline-flex; gap: 4px; margin-left: auto; }",
    ".kw-lang-btn { min-width: 44px; min-height: 44px; padding: 4px 8px; border: 1px solid var(--kw-field); border-radius: 8px; background: var(--kw-bg); color: var(--kw-strong); font-weight: 600; cursor: pointer; }",
    ".kw-lang-btn[aria-pressed=true] { background: var(--kw-strong); border-color: var(--kw-strong); color: var(--kw-bg); }",
    "@media " + PHONE_QUERY + " {",
    "  .kw-panel { top: 0; right: 0; bottom: 0; left: 0; width: 100%; max-width: 100%; height: 100%; border: 0; border-radius: 0; }",
    "  .kw-dock { right: 8px; bottom: 8px; max-width: calc(100vw - 16px); }",
    "  .kw-launcher { padding: 10px 14px; }",
    "  .kw-header { padding: 4px 4px 4px 12px; gap: 6px; }",
    "  .kw-title { font-size: 15px; }",
    "  .kw-header .kw-help-btn { padding: 7px 10px; font-size: 14px; }",
    "  .kw-msg { max-width: 100%; }",
    "}",
    "@media (max-height: 480px) { .kw-disclaimer { padding: 3px 12px; font-size: 12px; } .kw-privacy { display: none; } .kw-help { padding-top: 4px; } }",
    "@media (forced-colors: active) { .kw-msg, .kw-help, .kw-launcher, .kw-help-btn, .kw-res-link { border: 1px solid CanvasText; }" +
      " .kw-vote[aria-pressed=true], .kw-lang-btn[aria-pressed=true] { border: 3px solid Highlight; } }"
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

  // Emergency, crisis lines and poison help for the region (the last-resort number without the file).
  function urgentResources(lang) {
    var region = regionData(window.KRATOM_RESOURCES || null);
    if (!region) {
      return [{ label: L("emergency", lang), phone: LAST_RESORT_EMERGENCY[config.region] || "911", sms: "", web: "", note_es: "" }];
    }
    return [region.emergency].concat(region.crisis_lines || [], region.poison ? [region.poison] : []).map(cleanResource).filter(Boolean);
  }

  // ---------------------------------------------------------------- the widget
  var ui = {};
  var transcript = [];
  var nodes = typeof WeakMap === "function" ? new WeakMap() : null;
  var queue = [];
  var inFlight = null;
  var serverDown = false;
  var generation = 0;
  var helpOpener = null;
  var phone = window.matchMedia ? window.matchMedia(PHONE_QUERY) : null;

  function isPhone() {
    return !!(phone && phone.matches);
  }

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

    ui.dockHelp = button(L("help"), "kw-help-btn kw-dock-help", function () { showHelp(ui.headerHelp); },
      { "aria-controls": "kw-panel" });
    ui.launcher = button([icon, el("span", { class: "kw-launcher-label", text: config.title })], "kw-launcher", function () { openPanel(true); },
      { "aria-expanded": "false", "aria-controls": "kw-panel" });
    ui.dock = el("div", { class: "kw-dock" }, [ui.dockHelp, ui.launcher]);

    ui.headerHelp = button(L("help"), "kw-help-btn kw-header-help", function () {
      if (ui.help.hidden) { showHelp(ui.headerHelp); } else { hideHelp(true); }
    }, { "aria-expanded": "false", "aria-controls": "kw-help" });
    ui.close = button([el("span", { "aria-hidden": "true", text: "\u00d7" })], "kw-close", function () { closePanel(); },
      { "aria-label": L("closeChat"), title: L("closeChat") });
    var header = el("div", { class: "kw-header" }, [el("h2", { class: "kw-title", id: "kw-title", text: config.title }), ui.headerHelp, ui.close]);

    ui.disclaimer = el("p", { class: "kw-disclaimer", text: L("disclaimer") });
    ui.help = el("section", { class: "kw-help", id: "kw-help", "aria-labelledby": "kw-help-title", hidden: true });
    ui.help.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        hideHelp(true);
      }
    });

    // The transcript is a log for reading back; new replies are announced through ui.announcer
    // (the answer text only, not its sources or buttons).
    ui.log = el("div", { class: "kw-log", role: "log", "aria-live": "off", "aria-label": "Conversation", "aria-busy": "false", tabindex: "0" });
    ui.typing = el("div", { class: "kw-typing", role: "status" });

    ui.input = el("textarea", {
      class: "kw-input", id: "kw-input", rows: "1", autocomplete: "off", maxlength: String(MAX_CHARS),
      enterkeyhint: "send", placeholder: L("placeholder"), "aria-describedby": "kw-counter"
    });
    ui.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        submitInput();
      }
    });
    ui.input.addEventListener("input", function () { inputChanged(); });
    ui.input.addEventListener("paste", onPaste);
    ui.send = button(L("send"), "kw-send", function () { submitInput(); });
    ui.counter = el("p", { class: "kw-counter", id: "kw-counter" });
    ui.inputLabel = el("label", { class: "kw-sr", for: "kw-input", text: L("yourQuestion") });
    var composer = el("div", { class: "kw-composer" }, [ui.inputLabel, ui.input, ui.send, ui.counter]);

    ui.clear = button(L("clear"), "kw-clear", function () { askClear(); });
    ui.exit = button(L("exit"), "kw-exit", function () { quickExit(); });
    ui.regionNote = el("span", { class: "kw-region", text: L("helpNumbers") + config.region });
    ui.privacy = el("p", { class: "kw-privacy", text: L("privacy").replace("{h}", hoursText("en")) });
    ui.confirm = el("div", { class: "kw-confirm", role: "group", "aria-labelledby": "kw-confirm-text", hidden: true });
    ui.footer = el("div", { class: "kw-footer" }, [ui.clear, ui.exit, ui.regionNote, langSwitch(), ui.confirm, ui.privacy]);

    ui.main = el("div", { class: "kw-main" }, [ui.help, ui.disclaimer, ui.log, ui.typing, composer, ui.footer]);
    ui.body = [ui.disclaimer, ui.log, ui.typing, composer, ui.footer];
    ui.body.forEach(function (part) {
      // Moving focus to the chat behind the sheet (Tab, or a tap on the field) closes the sheet.
      part.addEventListener("focusin", function () { if (!ui.help.hidden) { hideHelp(false); } });
    });

    ui.panel = el("div", { class: "kw-panel", id: "kw-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "kw-title", hidden: true },
      [header, ui.main]);
    ui.announcer = el("div", { class: "kw-sr", role: "status" });

    ui.root = el("div", { class: "kw-root" }, [ui.dock, ui.panel, ui.announcer]);
    shadow.appendChild(ui.root);
    shadow.addEventListener("keydown", trapFocus);
    ui.host = host;
    ui.shadow = shadow;
    inputChanged();
    return host;
  }

  // ---------------------------------------------------------------- language of the chrome
  // `chosen`: from the EN/ES switch. A reply's language changes the chrome only until then.
  function setLang(lang, chosen) {
    lang = lang === "es" ? "es" : "en";
    if (chosen) {
      chosenLang = lang;
      setItem(session, STORE_LANG, lang);
    } else if (chosenLang) {
      return;
    }
    applyLang(lang);
  }

  function applyLang(lang) {
    showLangSwitch(lang);
    if (lang === uiLang) {
      return;
    }
    uiLang = lang;
    var attr = lang === "es" ? "es" : null;
    function set(node, text) {
      node.textContent = text;
      if (attr) { node.setAttribute("lang", attr); } else { node.removeAttribute("lang"); }
    }
    set(ui.dockHelp, L("help", lang));
    set(ui.headerHelp, L("help", lang));
    set(ui.send, L("send", lang));
    set(ui.clear, L("clear", lang));
    set(ui.exit, L("exit", lang));
    set(ui.disclaimer, L("disclaimer", lang));
    set(ui.inputLabel, L("yourQuestion", lang));
    set(ui.privacy, L("privacy", lang).replace("{h}", hoursText(lang)));
    ui.input.setAttribute("placeholder", L("placeholder", lang));
    ui.close.setAttribute("aria-label", L("closeChat", lang));
    ui.close.setAttribute("title", L("closeChat", lang));
    ui.regionNote.textContent = L("helpNumbers", lang) + regionName();
    set(ui.langGroupLabel, L("language", lang));
    if (!ui.help.hidden) {
      renderHelp(window.KRATOM_RESOURCES || null);
    }
    renderWelcome();
    inputChanged();
  }

  function showLangSwitch(lang) {
    ui.langButtons.forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-lang") === lang ? "true" : "false");
    });
  }

  function langSwitch() {
    ui.langGroupLabel = el("span", { class: "kw-sr", id: "kw-lang-label", text: L("language", "en") });
    ui.langButtons = [["en", "EN", "English"], ["es", "ES", "Espa\u00f1ol"]].map(function (l) {
      return button(l[1], "kw-lang-btn", function () {
        var focusAfter = ui.shadow.activeElement;
        setLang(l[0], true);
        if (focusAfter && focusAfter.isConnected) {
          focusAfter.focus();
        }
      }, { "data-lang": l[0], lang: l[0], "aria-label": l[2], "aria-pressed": "false" });
    });
    return el("div", { class: "kw-lang", role: "group", "aria-labelledby": "kw-lang-label" }, [ui.langGroupLabel].concat(ui.langButtons));
  }

  function regionName() {
    var region = regionData(window.KRATOM_RESOURCES || null);
    return region ? region.name : config.region;
  }

  // ---------------------------------------------------------------- transcript rendering
  // The greeting, in the widget's language, with starter questions while nothing has been said.
  function welcome() {
    var lang = uiLang;
    var node = el("div", { class: "kw-msg kw-bot kw-welcome", lang: lang }, [srOnly(L("assistant", lang)),
      el("p", { class: "kw-line", text: L("welcome", lang) })]);
    node.appendChild(el("p", { class: "kw-line", lang: L("welcomeOtherLang", lang), text: L("welcomeOther", lang) }));
    if (!transcript.length) {
      node.appendChild(starterButtons(lang));
    }
    return node;
  }

  function starterButtons(lang) {
    var group = suggestions(STARTERS[lang === "es" ? "es" : "en"], lang);
    group.classList.add("kw-starters");
    group.setAttribute("aria-label", L("starters", lang));
    return group;
  }

  function renderWelcome() {
    var old = ui.log.querySelector(".kw-welcome");
    var node = welcome();
    if (old) {
      ui.log.replaceChild(node, old);
    } else {
      ui.log.insertBefore(node, ui.log.firstChild);
    }
  }

  function setStatus(entry) {
    var node = nodes && nodes.get(entry);
    if (!node) {
      return;
    }
    var old = node.querySelector(".kw-status");
    if (old) {
      node.removeChild(old);
    }
    node.classList.toggle("kw-failed", entry.status === "failed");
    var lang = uiLang;
    if (entry.status === "failed") {
      node.appendChild(el("p", { class: "kw-status" }, [
        el("span", { text: L("notDelivered", lang) }),
        button(L("retry", lang), "kw-retry", function () { retry(entry); }, { "aria-label": L("retryLabel", lang) })
      ]));
    } else if (entry.status === "pending" || entry.status === "queued") {
      node.appendChild(el("p", { class: "kw-status", text: L(entry.status === "pending" ? "sending" : "queued", lang) }));
    }
  }

  function renderUser(entry) {
    var node = el("div", { class: "kw-msg kw-user" }, [srOnly(L("you")), el("div", { class: "kw-user-text" })]);
    appendLines(node.lastChild, entry.text);
    if (looksSpanish(entry.text)) {
      node.setAttribute("lang", "es");
    }
    if (nodes) {
      nodes.set(entry, node);
    }
    return node;
  }

  // A help line in the text ("- 988 Suicide & Crisis Lifeline: call or text 988") that the reply
  // also carries as a resource: the resource's buttons take its place, once.
  function resourceLine(line, resources) {
    var t = line.trim();
    return resources.some(function (r) { return t.indexOf("- " + r.label + ":") === 0; });
  }

  function sourcesBlock(data, lang) {
    var items = data.sources.map(function (s) {
      var label = (s.organisation ? s.organisation + ": " : "") + (s.title ? "\u201c" + s.title + "\u201d" : s.url);
      var url = httpsUrl(s.url);
      var content = url
        ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, [label, srOnly(L("newTab", lang))])
        : el("span", { text: label });
      return el("li", {}, [content]);
    });
    var details = el("details", { class: "kw-sources" }, [
      el("summary", { class: "kw-sources-summary", text: L("sources", lang) + " (" + data.sources.length + ")" }),
      el("ul", {}, items)
    ]);
    if (data.more_sources) {
      details.appendChild(el("p", { class: "kw-more-sources", text: L("moreSources", lang, data.more_sources) }));
    }
    return details;
  }

  function renderBot(entry, current) {
    var data = entry.data || cleanData({});
    var route = data.route;
    var lang = data.lang;
    var classes = "kw-msg kw-bot" + (route ? " kw-route-" + route : "") + (data.kind === "reminder" || data.kind === "crisis_hint" ? " kw-kind-reminder" : "");
    var node = el("div", { class: classes, "data-route": route || null, lang: lang === "es" ? "es" : null });
    node.appendChild(srOnly(L(route === "crisis" ? "urgent" : "assistant", lang)));
    if (route === "crisis") {
      node.appendChild(el("p", { class: "kw-crisis-title", text: L("crisisTitle", lang) }));
    }
    // An answer's text is the entry, then its sources as plain lines: show the entry, and the
    // sources as links below (from data.sources).
    var showAnswerOnly = route === "answer" && data.answer && entry.text.indexOf(data.answer) === 0;
    var placed = false;
    appendLines(node, showAnswerOnly ? data.answer : entry.text, data.resources.length ? function (line) {
      if (!resourceLine(line, data.resources)) {
        return null;
      }
      if (placed) {
        return true;
      }
      placed = true;
      return resourceList(data.resources, lang, route === "crisis");
    } : null);

    if (data.resources.length && !placed) {
      node.appendChild(el("p", { class: "kw-block-title", text: L(route === "crisis" ? "callNow" : "whereHelp", lang) }));
      node.appendChild(resourceList(data.resources, lang, route === "crisis"));
    }
    if (data.sources.length) {
      node.appendChild(sourcesBlock(data, lang));
    }
    if (data.reviewed_on) {
      var details = [];
      if (data.reviewed_by) {
        details.push(data.reviewed_by);
      }
      if (data.clinical_review) {
        details.push(data.clinical_review === "signed" ? L("clinicallyReviewed", lang) : L("clinicalReview", lang) + " " + data.clinical_review);
      }
      node.appendChild(el("p", { class: "kw-reviewed", text: L("reviewed", lang) + " " + data.reviewed_on + (details.length ? " (" + details.join("; ") + ")" : "") }));
    }
    if (route === "answer" && data.kind === "answer" && data.entry_id) {
      node.appendChild(feedbackBlock(entry, lang));
    }
    if (current && entry.buttons.length) {
      node.appendChild(suggestions(entry.buttons, lang));
    }
    return node;
  }

  // ---------------------------------------------------------------- thumbs up / down
  var THUMB = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 " +
    "7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";
  var feedbackCount = 0;

  function thumbIcon(down) {
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", THUMB);
    if (down) {
      path.setAttribute("transform", "rotate(180 12 12)");
    }
    svg.appendChild(path);
    return svg;
  }

  // Under a knowledge-base answer: "Was this helpful?" and two toggle buttons. One vote per
  // answer: once one is pressed, both are marked unavailable (aria-disabled keeps them in the Tab
  // order, so focus is not lost); if the server did not take it, the vote is undone.
  function feedbackBlock(entry, lang) {
    feedbackCount += 1;
    var askId = "kw-feedback-ask-" + feedbackCount;
    var status = el("span", { class: "kw-feedback-status" });
    var votes = {};
    function show() {
      ["up", "down"].forEach(function (v) {
        votes[v].setAttribute("aria-pressed", entry.vote === v ? "true" : "false");
        if (entry.vote) {
          votes[v].setAttribute("aria-disabled", "true");
        } else {
          votes[v].removeAttribute("aria-disabled");
        }
      });
      status.textContent = entry.vote ? L("thanks", lang) : "";
    }
    function vote(v) {
      if (entry.vote || !config.server || !entry.data || !entry.data.entry_id) {
        return;
      }
      var mine = generation;
      entry.vote = v;
      persist();
      show();
      announce(L("thanks", lang));
      sendFeedback(entry.data.entry_id, v).then(function (ok) {
        if (ok || mine !== generation || transcript.indexOf(entry) < 0) {
          return;
        }
        delete entry.vote;
        persist();
        show();
        status.textContent = L("feedbackFailed", lang);
        announce(L("feedbackFailed", lang));
      });
    }
    votes.up = button([thumbIcon(false)], "kw-vote kw-vote-up", function () { vote("up"); },
      { "aria-label": L("helpful", lang), title: L("helpful", lang) });
    votes.down = button([thumbIcon(true)], "kw-vote kw-vote-down", function () { vote("down"); },
      { "aria-label": L("notHelpful", lang), title: L("notHelpful", lang) });
    var block = el("div", { class: "kw-feedback", role: "group", "aria-labelledby": askId }, [
      el("span", { class: "kw-feedback-ask", id: askId, text: L("helpfulAsk", lang) }), votes.up, votes.down, status
    ]);
    show();
    return block;
  }

  function sendFeedback(entryId, vote) {
    return window.fetch(config.server + "/webhooks/rest/feedback", {
      method: "POST", mode: "cors", credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ entry: entryId, vote: vote })
    }).then(function (response) { return response.ok; }, function () { return false; });
  }

  // Ask the server to delete the conversation kept under this device's sender id. Fire and
  // forget: the device forgets the id either way (the server's retention purge is the backstop).
  function forgetOnServer(sender) {
    if (!config.server || !/^web-[0-9a-f]{32}$/.test(sender || "")) {
      return;
    }
    try {
      window.fetch(config.server + "/webhooks/rest/forget", {
        method: "POST", mode: "cors", credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
        keepalive: true, headers: { "Content-Type": "text/plain" }, body: JSON.stringify({ sender: sender })
      }).catch(function () { /* offline: nothing more to do here */ });
    } catch (e) { /* fetch itself refused (very old browser): nothing more to do */ }
  }

  // Only the newest reply's suggestions exist: older ones are removed as soon as anything else
  // is said, so the Tab order holds just the current set.
  function suggestions(buttons, lang) {
    return el("div", { class: "kw-suggestions", role: "group", "aria-label": L("suggested", lang) },
      buttons.map(function (text) {
        return button(text, "kw-suggestion", function () { ui.input.focus(); send(text); });
      }));
  }

  function clearSuggestions() {
    Array.prototype.slice.call(ui.log.querySelectorAll(".kw-suggestions")).forEach(function (n) {
      n.parentNode.removeChild(n);
    });
  }

  function renderEntry(entry, current) {
    return entry.role === "user" ? renderUser(entry) : renderBot(entry, current);
  }

  // What a screen reader hears for a reply: its text (the answer itself for knowledge-base
  // answers), not the sources, review line or buttons.
  function spokenText(entry) {
    var data = entry.data || cleanData({});
    var text = data.route === "answer" && data.answer && entry.text.indexOf(data.answer) === 0 ? data.answer : entry.text;
    return (data.route === "crisis" ? L("crisisTitle", data.lang) + ". " : "") + text.replace(/\s*\n+\s*/g, " ").trim();
  }

  function notice(text, opts) {
    opts = opts || {};
    var lang = opts.lang || uiLang;
    var node = el("div", { class: "kw-msg kw-notice" + (opts.crisis ? " kw-notice-crisis" : "") + (opts.help ? " kw-fail-notice" : ""),
      lang: lang === "es" ? "es" : null }, [srOnly(L("notice", lang))]);
    if (opts.crisis) {
      node.appendChild(el("p", { class: "kw-crisis-title", text: L("crisisTitle", lang) }));
    }
    appendLines(node, text);
    if (opts.help) {
      node.appendChild(el("div", { class: "kw-inline-help" }, [
        resourceList(urgentResources(lang), lang, true),
        button(L("moreHelp", lang), "kw-more-help", function (event) { showHelp(event.currentTarget); })
      ]));
    }
    ui.log.appendChild(node);
    return node;
  }

  // Numbers after a failed send (or at once for a crisis message the assistant cannot answer):
  // one such notice at a time, the newest.
  function helpNotice(text, crisis, lang) {
    Array.prototype.slice.call(ui.log.querySelectorAll(".kw-fail-notice")).forEach(function (n) { n.parentNode.removeChild(n); });
    var node = notice(text, { help: true, crisis: crisis, lang: lang });
    announce((crisis ? L("crisisTitle", lang) + ". " : "") + text + " " + urgentResources(lang).map(function (r) {
      return r.label + " " + (r.phone || r.sms);
    }).join(", "));
    return node;
  }

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  // A new reply is shown from its start (a long answer is read from the top, not the bottom).
  function scrollToStart(node) {
    var top = node.getBoundingClientRect().top - ui.log.getBoundingClientRect().top;
    ui.log.scrollTop += top - 8;
  }

  function persist() {
    transcript = transcript.slice(-MAX_STORED);
    setItem(local, STORE_LOG, JSON.stringify(transcript.map(function (e) {
      var out = { role: e.role, text: e.text, data: e.data, buttons: e.buttons };
      if (e.status) {
        out.status = e.status;
      }
      if (e.vote) {
        out.vote = e.vote;
      }
      return out;
    })));
    setItem(local, STORE_SAVED, String(Date.now()));
  }

  function addEntry(entry, current) {
    transcript.push(entry);
    persist();
    var node = renderEntry(entry, current);
    ui.log.appendChild(node);
    return node;
  }

  // A reply goes right after its own message, before any message still waiting in the queue.
  function insertReplies(userEntry, entries) {
    var at = transcript.indexOf(userEntry);
    var next = -1;
    for (var i = at + 1; at >= 0 && i < transcript.length; i++) {
      if (transcript[i].role === "user") {
        next = i;
        break;
      }
    }
    var current = next < 0 && queue.length === 0;
    var before = next >= 0 && nodes ? nodes.get(transcript[next]) : null;
    var first = null;
    entries.forEach(function (e, k) {
      if (next >= 0) {
        transcript.splice(next + k, 0, e);
      } else {
        transcript.push(e);
      }
      var node = renderEntry(e, current && k === entries.length - 1);
      if (before && before.parentNode === ui.log) {
        ui.log.insertBefore(node, before);
      } else {
        ui.log.appendChild(node);
      }
      first = first || node;
      if (e.data) {
        setLang(e.data.lang);
      }
    });
    persist();
    return first;
  }

  function restore() {
    if (storedExpired()) {
      forgetStored();
    }
    var raw = getItem(local, STORE_LOG);
    var stored = [];
    if (raw) {
      try { stored = JSON.parse(raw); } catch (e) { stored = []; }
    }
    transcript = (Array.isArray(stored) ? stored : []).map(cleanEntry).filter(Boolean).slice(-MAX_STORED);
    ui.log.textContent = "";
    ui.log.appendChild(welcome());
    transcript.forEach(function (entry, i) {
      ui.log.appendChild(renderEntry(entry, i === transcript.length - 1));
      if (entry.status) {
        setStatus(entry);
      }
    });
    for (var i = transcript.length - 1; i >= 0; i--) {
      if (transcript[i].role === "bot" && transcript[i].data) {
        setLang(transcript[i].data.lang);
        break;
      }
    }
  }

  function setBusy(value) {
    ui.log.setAttribute("aria-busy", value ? "true" : "false");
    ui.typing.textContent = "";
    if (value) {
      ui.typing.appendChild(el("span", { class: "kw-dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]));
      ui.typing.appendChild(el("span", { text: L("typing", uiLang) }));
    }
  }

  // ---------------------------------------------------------------- the composer
  function fmt(n) {
    return n.toLocaleString ? n.toLocaleString("en-US") : String(n);
  }

  function inputChanged() {
    var input = ui.input;
    input.style.height = "auto";
    input.style.height = Math.min(Math.max(input.scrollHeight + 2, 44), 140) + "px";
    var n = input.value.length;
    var over = n > MAX_CHARS;
    var near = !over && n >= NEAR_CHARS;
    var text = fmt(n) + " / " + fmt(MAX_CHARS);
    if (over) {
      text += " \u2014 " + L("tooLong", uiLang, fmt(n - MAX_CHARS));
    } else if (near) {
      text += " \u2014 " + L("nearLimit", uiLang, fmt(MAX_CHARS - n));
    }
    ui.counter.textContent = text;
    ui.counter.classList.toggle("kw-near", near);
    ui.counter.classList.toggle("kw-over", over);
    if (over) {
      input.setAttribute("aria-invalid", "true");
    } else {
      input.removeAttribute("aria-invalid");
    }
    var state = over ? "over" : near ? "near" : "";
    if (state && state !== ui.counterState) {
      announce(over ? L("tooLong", uiLang, fmt(n - MAX_CHARS)) : L("nearLimit", uiLang, fmt(MAX_CHARS - n)));
    }
    ui.counterState = state;
  }

  // The maxlength attribute stops typing at the limit, but a paste would be cut silently: paste
  // the whole text instead, and let the counter say how much is over.
  function onPaste(event) {
    var data = event.clipboardData && event.clipboardData.getData("text/plain");
    var input = ui.input;
    if (typeof data !== "string") {
      return;
    }
    var start = input.selectionStart, end = input.selectionEnd;
    if (input.value.length - (end - start) + data.length <= MAX_CHARS) {
      return;
    }
    event.preventDefault();
    input.setRangeText(data, start, end, "end");
    inputChanged();
  }

  function submitInput() {
    var text = ui.input.value;
    if (!text.trim()) {
      return;
    }
    if (text.length > MAX_CHARS) {
      inputChanged();
      announce(L("tooLong", uiLang, fmt(text.length - MAX_CHARS)));
      ui.input.focus();
      return;
    }
    ui.input.value = "";
    inputChanged();
    send(text);
  }

  // ---------------------------------------------------------------- talking to the server
  function send(text) {
    text = String(text || "").trim();
    if (!text || text.length > MAX_CHARS) {
      return;
    }
    hideConfirm(false);
    if (!ui.help.hidden) {
      hideHelp(false);
    }
    clearSuggestions();
    var entry = { role: "user", text: text, data: null, buttons: [], status: "queued" };
    addEntry(entry, false);
    var lang = looksSpanish(text) ? "es" : uiLang;
    var crisis = isCrisisText(text);
    if (!config.server) {
      entry.status = "failed";
      persist();
      setStatus(entry);
      helpNotice(crisis ? L("crisisOffline", lang) : L("notConnected", lang), crisis, lang);
      scrollToEnd();
      return;
    }
    if (crisis && (serverDown || navigator.onLine === false)) {
      // The assistant could not be reached last time: the numbers now, not after a timeout.
      helpNotice(L("crisisOffline", lang), true, lang);
      entry.earlyHelp = true;
    }
    queue.push(entry);
    setStatus(entry);
    scrollToEnd();
    pump();
  }

  function retry(entry) {
    if (transcript.indexOf(entry) < 0 || entry.status !== "failed") {
      return;
    }
    // The message moves to the end, so its reply follows it.
    transcript.splice(transcript.indexOf(entry), 1);
    transcript.push(entry);
    var node = nodes && nodes.get(entry);
    if (node) {
      ui.log.appendChild(node);
    }
    clearSuggestions();
    entry.status = "queued";
    persist();
    setStatus(entry);
    ui.input.focus();
    queue.push(entry);
    scrollToEnd();
    pump();
  }

  function post(text, timeoutMs) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timedOut = false;
    var timer = null;
    var request = window.fetch(config.server + "/webhooks/rest/webhook", {
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
    });
    var timeout = new Promise(function (resolve) {
      timer = window.setTimeout(function () {
        timedOut = true;
        if (controller) {
          controller.abort();
        }
        resolve({ failed: "timeout" });
      }, timeoutMs);
    });
    return Promise.race([request.catch(function () { return { failed: timedOut ? "timeout" : "unreachable" }; }), timeout])
      .then(function (result) {
        window.clearTimeout(timer);
        return result;
      });
  }

  function pump() {
    if (inFlight || !queue.length) {
      return;
    }
    var entry = queue.shift();
    var mine = generation;
    inFlight = entry;
    entry.status = "pending";
    setStatus(entry);
    setBusy(true);
    var crisis = isCrisisText(entry.text);
    var lang = looksSpanish(entry.text) ? "es" : uiLang;
    // A crisis message that gets no reply within a few seconds: the numbers while it waits.
    var early = crisis && !entry.earlyHelp ? window.setTimeout(function () {
      if (inFlight === entry && mine === generation) {
        helpNotice(L("crisisOffline", lang), true, lang);
        entry.earlyHelp = true;
      }
    }, Math.min(3000, config.timeoutMs / 2)) : null;
    post(entry.text, config.timeoutMs).then(function (result) {
      window.clearTimeout(early);
      if (mine !== generation) {
        return;
      }
      if (result.failed || result.status >= 500 || result.status === 0) {
        serverDown = result.failed === "unreachable" || result.failed === "timeout";
        entry.status = "failed";
        persist();
        setStatus(entry);
        var kind = result.failed || "trouble";
        helpNotice(crisis ? L("crisisOffline", lang) : L(kind, lang), crisis, lang);
        scrollToEnd();
        return;
      }
      serverDown = false;
      delete entry.status;
      delete entry.earlyHelp;
      persist();
      setStatus(entry);
      // Delivered: the "could not reach" notice is out of date (the numbers stay one tap away).
      Array.prototype.slice.call(ui.log.querySelectorAll(".kw-fail-notice")).forEach(function (n) { n.parentNode.removeChild(n); });
      if (result.ok) {
        var entries = toEntries(result.body);
        if (!entries.length) {
          notice(L("noReply", lang));
          scrollToEnd();
          return;
        }
        var first = insertReplies(entry, entries);
        scrollToStart(first);
        announce(entries.map(spokenText).join(" "));
      } else {
        var detail = isPlainObject(result.body) && result.status === 413 && isString(result.body.error) ? result.body.error : "";
        notice(detail || L("unreadable", lang));
        scrollToEnd();
      }
    }).then(function () {
      if (mine !== generation) {
        return;
      }
      inFlight = null;
      if (queue.length) {
        pump();
      } else {
        setBusy(false);
      }
    });
  }

  // ---------------------------------------------------------------- clearing, quick exit
  function askClear() {
    ui.confirm.textContent = "";
    ui.confirm.appendChild(el("p", { class: "kw-confirm-text", id: "kw-confirm-text", text: L("clearAsk", uiLang) }));
    ui.confirm.appendChild(button(L("clearYes", uiLang), "kw-clear-confirm", function () { clearConversation(); }));
    ui.confirm.appendChild(button(L("cancel", uiLang), "kw-clear-cancel", function () { hideConfirm(true); }));
    ui.confirm.hidden = false;
    ui.clear.hidden = true;
    ui.confirm.querySelector(".kw-clear-confirm").focus();
  }

  function hideConfirm(returnFocus) {
    if (ui.confirm.hidden) {
      return false;
    }
    ui.confirm.hidden = true;
    ui.confirm.textContent = "";
    ui.clear.hidden = false;
    if (returnFocus) {
      ui.clear.focus();
    }
    return true;
  }

  // The language chosen with the switch is a setting, not part of the conversation: it stays.
  function clearConversation() {
    generation += 1;
    queue = [];
    inFlight = null;
    setBusy(false);
    forgetOnServer(getItem(local, STORE_SENDER));
    forgetStored();
    transcript = [];
    ui.log.textContent = "";
    hideConfirm(false);
    applyLang(chosenLang || config.lang);
    renderWelcome();
    announce(L("cleared", uiLang));
    ui.input.focus();
  }

  // Shared phone: forget everything here and leave for a neutral page (no way "back" to it).
  function quickExit() {
    generation += 1;
    queue = [];
    forgetOnServer(getItem(local, STORE_SENDER));
    forgetStored();
    removeItem(session, STORE_OPEN);
    removeItem(session, STORE_LANG);
    ui.log.textContent = "";
    ui.panel.hidden = true;
    ui.input.value = "";
    window.location.replace(config.exitUrl);
  }

  function announce(text) {
    ui.announcer.textContent = "";
    window.setTimeout(function () { ui.announcer.textContent = text; }, 50);
  }

  // ---------------------------------------------------------------- panel, modal, help
  function updateModal() {
    ui.panel.setAttribute("aria-modal", isPhone() && !ui.panel.hidden ? "true" : "false");
  }

  function focusables() {
    var parts = ui.help.hidden ? [ui.panel] : [ui.panel.querySelector(".kw-header"), ui.help];
    var out = [];
    parts.forEach(function (part) {
      Array.prototype.forEach.call(part.querySelectorAll("a[href], button, textarea, input, select, summary, [tabindex]"), function (n) {
        if (n.disabled || n.getAttribute("tabindex") === "-1" || !n.getClientRects().length) {
          return;
        }
        if (!ui.help.hidden && part === ui.panel) {
          return;
        }
        out.push(n);
      });
    });
    return out;
  }

  // On a phone the panel is a modal dialog: Tab and Shift+Tab stay inside it.
  function trapFocus(event) {
    if (event.key !== "Tab" || ui.panel.hidden || !isPhone()) {
      return;
    }
    var list = focusables();
    if (!list.length) {
      return;
    }
    var active = ui.shadow.activeElement;
    var index = list.indexOf(active);
    if (event.shiftKey && (index <= 0)) {
      event.preventDefault();
      list[list.length - 1].focus();
    } else if (!event.shiftKey && (index === list.length - 1 || index < 0)) {
      event.preventDefault();
      list[0].focus();
    }
  }

  function onDocumentKey(event) {
    if (event.key !== "Escape" || ui.panel.hidden || event.defaultPrevented) {
      return;
    }
    event.preventDefault();
    if (hideConfirm(true)) {
      return;
    }
    if (!ui.help.hidden) {
      hideHelp(true);
      return;
    }
    closePanel();
  }

  function onDocumentFocus(event) {
    // A modal panel keeps focus: anything on the page behind it sends focus back in.
    if (!ui.panel.hidden && isPhone() && event.target !== ui.host) {
      (ui.help.hidden ? ui.input : ui.help.querySelector("h3") || ui.input).focus();
    }
  }

  function openPanel(focusInput) {
    if (storedExpired()) {
      forgetStored();
      restore();
    }
    ui.panel.hidden = false;
    ui.dock.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "true");
    setItem(session, STORE_OPEN, "1");
    updateModal();
    scrollToEnd();
    var replies = ui.log.querySelectorAll(".kw-bot");
    var lastReply = replies[replies.length - 1];
    if (lastReply && lastReply === ui.log.lastElementChild && !lastReply.classList.contains("kw-welcome")) {
      scrollToStart(lastReply);
    }
    if (focusInput) {
      ui.input.focus();
    }
  }

  function closePanel() {
    hideConfirm(false);
    if (!ui.help.hidden) {
      hideHelp(false);
    }
    ui.panel.hidden = true;
    ui.dock.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "false");
    removeItem(session, STORE_OPEN);
    updateModal();
    ui.launcher.focus();
  }

  function renderHelp(all) {
    var region = regionData(all);
    var lang = uiLang;
    ui.help.textContent = "";
    if (lang === "es") {
      ui.help.setAttribute("lang", "es");
    } else {
      ui.help.removeAttribute("lang");
    }
    var title = el("h3", { id: "kw-help-title", tabindex: "-1" }, [L("help", lang) + (region ? " \u00b7 " + region.name : "")]);
    var close = button([el("span", { "aria-hidden": "true", text: "\u00d7" })], "kw-help-close", function () { hideHelp(true); },
      { "aria-label": L("closeHelp", lang), title: L("closeHelp", lang) });
    ui.help.appendChild(el("div", { class: "kw-help-top" }, [close, title]));
    if (!region) {
      ui.help.appendChild(el("p", { class: "kw-help-lead", text: L("helpLeadLocal", lang) }));
      ui.help.appendChild(resourceList(urgentResources(lang), lang, true, true));
    } else {
      var emergency = region.emergency || {};
      ui.help.appendChild(el("p", { class: "kw-help-lead", text: emergency.phone ? L("helpLead", lang, emergency.phone) : L("helpLeadLocal", lang) }));
      ui.help.appendChild(resourceList(urgentResources(lang), lang, true, true));
      var treatment = (region.treatment || []).map(cleanResource).filter(Boolean);
      if (treatment.length) {
        ui.help.appendChild(el("h4", { text: L("treatment", lang) }));
        ui.help.appendChild(resourceList(treatment, lang, false, true));
      }
      ui.regionNote.textContent = L("helpNumbers", lang) + region.name;
    }
    return title;
  }

  function showHelp(opener) {
    helpOpener = opener && opener.isConnected && opener !== ui.dockHelp ? opener : ui.headerHelp;
    hideConfirm(false);
    openPanel(false);
    ui.help.hidden = false;
    ui.help.scrollTop = 0;
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
    if (ui.help.hidden) {
      return;
    }
    ui.help.hidden = true;
    ui.headerHelp.setAttribute("aria-expanded", "false");
    if (returnFocus) {
      (helpOpener && helpOpener.isConnected && helpOpener.getClientRects().length ? helpOpener : ui.headerHelp).focus();
    }
  }

  // ---------------------------------------------------------------- start
  function init() {
    var host = build();
    var stored = getItem(session, STORE_LANG);
    if (stored === "en" || stored === "es") {
      setLang(stored, true);
    } else {
      applyLang(config.lang);
    }
    restore();
    document.body.appendChild(host);
    document.addEventListener("keydown", onDocumentKey);
    document.addEventListener("focusin", onDocumentFocus);
    if (phone) {
      var onChange = function () { updateModal(); };
      if (phone.addEventListener) { phone.addEventListener("change", onChange); } else if (phone.addListener) { phone.addListener(onChange); }
    }
    loadResources().then(function (all) {
      compileCrisis(window.KRATOM_CRISIS);
      var region = regionData(all);
      if (region) {
        ui.regionNote.textContent = L("helpNumbers", uiLang) + region.name;
      }
      // Restored messages were rendered before the Spanish signs were known.
      transcript.forEach(function (e) {
        var node = e.role === "user" && nodes && nodes.get(e);
        if (node && looksSpanish(e.text)) {
          node.setAttribute("lang", "es");
        }
      });
    }, function () { /* Get help now falls back to the emergency number */ });
    if (getItem(session, STORE_OPEN) === "1") {
      openPanel(false);
    }
  }

  window.KratomWidget = {
    open: function () { openPanel(true); },
    close: closePanel,
    showHelp: function () { showHelp(ui.headerHelp); },
    clear: clearConversation,
    isCrisis: isCrisisText,
    looksSpanish: looksSpanish
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
