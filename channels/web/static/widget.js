/*
 * The newcomer assistant's chat widget. A municipality adds one tag to its site:
 *   <script src="https://ASSISTANT-HOST/web/widget.js" data-municipality="boden" async></script>
 * It speaks the socket.io events of Rasa's socketio channel (session_request/session_confirm,
 * user_uttered/bot_uttered) with the gateway that served this file. Its texts come from the
 * server's language catalogs (/web/config); nothing the bot or the person wrote is ever parsed
 * as HTML. The conversation id lives in localStorage, so reloads and other tabs continue it.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__newcomerChatLoaded) return;
  window.__newcomerChatLoaded = true;
  var municipality = script.getAttribute("data-municipality") || "";
  var base = new URL(script.src, document.baseURI).origin;
  var storageKey = "newcomer-chat:" + municipality;
  var openKey = storageKey + ":open";
  var browserLanguages = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""]);

  var CSS = [
    ":host { all: initial; }",
    "* { box-sizing: border-box; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }",
    ".launcher { position: fixed; right: 20px; bottom: 20px; width: 60px; height: 60px; border-radius: 50%;",
    "  border: none; background: #004b87; color: #fff; cursor: pointer; box-shadow: 0 2px 10px rgba(0,0,0,.3);",
    "  z-index: 2147483000; display: flex; align-items: center; justify-content: center; }",
    ".launcher svg { width: 30px; height: 30px; fill: currentColor; }",
    ".launcher:focus-visible, button:focus-visible, textarea:focus-visible, a:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }",
    ".panel { position: fixed; right: 20px; bottom: 92px; width: 370px; max-width: calc(100vw - 40px);",
    "  height: 560px; max-height: calc(100vh - 120px); background: #fff; border-radius: 12px; z-index: 2147483000;",
    "  box-shadow: 0 4px 24px rgba(0,0,0,.3); display: flex; flex-direction: column; overflow: hidden; color: #1b1b1b; }",
    ".panel[hidden] { display: none; }",
    ".header { background: #004b87; color: #fff; padding: 12px 14px; display: flex; align-items: center; justify-content: space-between; }",
    ".header h2 { font-size: 16px; margin: 0; font-weight: 600; }",
    ".close { background: transparent; border: none; color: #fff; font-size: 22px; cursor: pointer; line-height: 1; padding: 4px 8px; }",
    ".notice { font-size: 12px; color: #3d3d3d; background: #eef3f8; padding: 8px 12px; margin: 0; border-bottom: 1px solid #d5dee8; }",
    ".log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; }",
    ".msg { max-width: 85%; padding: 8px 12px; border-radius: 12px; white-space: pre-line; overflow-wrap: anywhere; font-size: 14px; line-height: 1.4; }",
    ".msg.bot { background: #f0f2f4; align-self: flex-start; border-bottom-left-radius: 4px; }",
    ".msg.user { background: #004b87; color: #fff; align-self: flex-end; border-bottom-right-radius: 4px; }",
    ".msg a { color: inherit; }",
    ".sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }",
    ".replies { display: flex; flex-wrap: wrap; gap: 6px; align-self: flex-start; max-width: 95%; }",
    ".replies button { border: 1px solid #004b87; background: #fff; color: #004b87; border-radius: 16px; padding: 6px 12px; font-size: 13px; cursor: pointer; text-align: left; }",
    ".replies button:hover { background: #e6eef6; }",
    ".typing { font-size: 12px; color: #555; padding: 0 14px 6px; min-height: 18px; }",
    ".form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e0e0e0; }",
    ".form textarea { flex: 1; resize: none; border: 1px solid #8a8a8a; border-radius: 8px; padding: 8px; font-size: 14px; height: 42px; }",
    ".form button { background: #004b87; color: #fff; border: none; border-radius: 8px; padding: 0 14px; font-size: 14px; cursor: pointer; }",
    ".offline { font-size: 12px; color: #8a1c1c; padding: 4px 14px; }",
  ].join("\n");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Text with web addresses turned into links; everything else stays plain text.
  function linkified(text) {
    var fragment = document.createDocumentFragment();
    var pattern = /https?:\/\/[^\s<>"')\]]+[^\s<>"')\].,;:!?]/g;
    var last = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      fragment.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link = el("a", { href: match[0], target: "_blank", rel: "noopener noreferrer" }, match[0]);
      fragment.appendChild(link);
      last = match.index + match[0].length;
    }
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  function loadSocketIo(done) {
    if (window.io && window.io.connect) return done(window.io);
    var tag = document.createElement("script");
    tag.src = base + "/web/socket.io.min.js";
    tag.onload = function () { done(window.io); };
    document.head.appendChild(tag);
  }

  function start(config) {
    var t = config.texts;
    var host = el("div", { id: "newcomer-chat" });
    document.body.appendChild(host);
    var root = host.attachShadow({ mode: "open" });
    root.appendChild(el("style", {}, CSS));

    var launcher = el("button", { class: "launcher", type: "button", "aria-label": t.web_open,
                                  "aria-expanded": "false", "aria-controls": "newcomer-chat-panel" });
    launcher.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
    var panel = el("div", { class: "panel", id: "newcomer-chat-panel", role: "dialog", "aria-label": t.web_title, hidden: "" });
    var header = el("div", { class: "header" });
    header.appendChild(el("h2", {}, t.web_title));
    var close = el("button", { class: "close", type: "button", "aria-label": t.web_close }, "\u00d7");
    header.appendChild(close);
    var notice = el("p", { class: "notice" }, t.web_notice);
    var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0",
                          "aria-label": t.web_title });
    var typing = el("div", { class: "typing", role: "status", "aria-live": "polite" });
    var offline = el("div", { class: "offline", role: "alert", hidden: "" }, t.web_offline);
    var form = el("form", { class: "form" });
    var inputId = "newcomer-chat-input";
    form.appendChild(el("label", { class: "sr", for: inputId }, t.web_input_label));
    var input = el("textarea", { id: inputId, rows: "1", placeholder: t.web_placeholder, maxlength: "4000" });
    var send = el("button", { type: "submit" }, t.web_send);
    form.appendChild(input);
    form.appendChild(send);
    [header, notice, log, typing, offline, form].forEach(function (part) { panel.appendChild(part); });
    root.appendChild(panel);
    root.appendChild(launcher);

    var socket = null, sessionId = null, typingTimer = null;
    var unsent = [];  // written before the session was confirmed; sent right after
    var written = {};  // the latest message's words by its id, given back if the server cannot take it

    function setTyping(on) {
      clearTimeout(typingTimer);
      typing.textContent = on ? t.web_typing : "";
      if (on) typingTimer = setTimeout(function () { setTyping(false); }, 30000);
    }

    function clearReplies() {
      Array.prototype.forEach.call(log.querySelectorAll(".replies"), function (node) { node.remove(); });
    }

    function addMessage(sender, text) {
      var bubble = el("div", { class: "msg " + sender });
      bubble.appendChild(linkified(String(text || "")));
      log.appendChild(bubble);
      log.scrollTop = log.scrollHeight;
    }

    function addReplies(replies) {
      if (!replies || !replies.length) return;
      var group = el("div", { class: "replies", role: "group", "aria-label": t.web_options });
      replies.forEach(function (reply) {
        var button = el("button", { type: "button" }, reply.title);
        button.addEventListener("click", function () { say(reply.payload, reply.title); });
        group.appendChild(button);
      });
      log.appendChild(group);
      log.scrollTop = log.scrollHeight;
    }

    function showBot(message) {
      setTyping(false);
      clearReplies();
      if (message.text) addMessage("bot", message.text);
      addReplies(message.quick_replies || message.buttons);
      // The server could not take a message (records down, too many messages): give the person
      // their words back, so one press sends them again.
      var words = message.not_taken !== undefined ? written[message.not_taken] : undefined;
      if (words && !input.value) { input.value = words; input.focus(); }
    }

    function say(message, shown) {
      if (!message) return;
      clearReplies();
      addMessage("user", shown || message);
      setTyping(true);
      var uttered = {
        message: message,
        message_id: (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random(),
        customData: { municipality: municipality, language: browserLanguages[0] || "" },
      };
      written = {};
      written[uttered.message_id] = shown ? "" : message;  // a button's payload is not the person's words
      if (socket && sessionId) socket.emit("user_uttered", Object.assign(uttered, { session_id: sessionId }));
      else unsent.push(uttered);
    }

    function connect() {
      loadSocketIo(function (io) {
        socket = io(base, { transports: ["websocket", "polling"] });
        socket.on("connect", function () {
          offline.hidden = true;
          socket.emit("session_request", { session_id: localStorage.getItem(storageKey) });
        });
        socket.on("disconnect", function () { offline.hidden = false; });
        socket.on("session_confirm", function (data) {
          sessionId = (data && data.session_id) || data;
          localStorage.setItem(storageKey, sessionId);
          unsent.forEach(function (uttered) {
            socket.emit("user_uttered", Object.assign(uttered, { session_id: sessionId }));
          });
          unsent = [];
        });
        socket.on("history", function (data) {
          while (log.firstChild) log.removeChild(log.firstChild);
          var items = (data && data.messages) || [];
          items.forEach(function (item, index) {
            addMessage(item.sender === "user" ? "user" : "bot", item.text);
            if (index === items.length - 1 && item.sender !== "user") addReplies(item.quick_replies);
          });
        });
        socket.on("user_echo", function (data) { clearReplies(); addMessage("user", data.text); setTyping(true); });
        socket.on("bot_uttered", showBot);
      });
    }

    function setOpen(open) {
      panel.hidden = !open;
      launcher.setAttribute("aria-expanded", open ? "true" : "false");
      localStorage.setItem(openKey, open ? "1" : "0");
      if (open) {
        if (!socket) connect();
        input.focus();
      }
    }

    launcher.addEventListener("click", function () { setOpen(panel.hidden); });
    close.addEventListener("click", function () { setOpen(false); launcher.focus(); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { setOpen(false); launcher.focus(); }
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      say(text);
    });
    if (localStorage.getItem(openKey) === "1") setOpen(true);
  }

  function boot() {
    var url = base + "/web/config?municipality=" + encodeURIComponent(municipality) +
      "&languages=" + encodeURIComponent(browserLanguages.join(","));
    fetch(url).then(function (reply) {
      if (!reply.ok) throw new Error("newcomer chat: " + reply.status);
      return reply.json();
    }).then(start).catch(function (error) { console.warn(error.message || error); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
