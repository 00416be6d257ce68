/* A grid worker's reports waiting in this browser (IndexedDB, photos included) and their
   sending: each report carries a key made once (source_ref), so sending it again after a lost
   answer records it once on the server. Sent one at a time, oldest first, when the page opens,
   when the connection returns and when asked. */
(function () {
  "use strict";
  var DB = "ecoradar-grid", STORE = "reports", URL = "/api/clues/grid";
  var sending = false;

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "key" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), store = t.objectStore(STORE), out = work(store);
        t.oncomplete = function () { db.close(); resolve(out && out.result !== undefined ? out.result : out); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }

  function all() {
    return tx("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.created - b.created; });
    });
  }
  function put(item) { return tx("readwrite", function (s) { s.put(item); }); }
  function remove(key) { return tx("readwrite", function (s) { s["delete"](key); }); }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (m, k) { return values[k] !== undefined ? values[k] : m; });
  }

  function box() { return document.getElementById("grid-queue"); }

  function show(items) {
    var node = box();
    if (!node) return;
    var list = document.getElementById("grid-queue-items");
    var status = document.getElementById("grid-queue-status");
    node.hidden = items.length === 0 && navigator.onLine;
    status.textContent = fill(node.dataset.labelWaiting, { count: items.length }) +
      (navigator.onLine ? "" : " " + node.dataset.labelOffline);
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.dataset.key = item.key;
      li.className = item.error ? "queue-failed" : "queue-waiting";
      li.textContent = new Date(item.created).toLocaleString(document.documentElement.lang || undefined, { timeZone: "Asia/Shanghai" }) + " · " + item.description.slice(0, 40) +
        (item.error ? " · " + fill(node.dataset.labelFailed, { reason: item.error }) : "");
      if (item.error) {
        var del = document.createElement("button");
        del.type = "button";
        del.className = "button button-quiet";
        del.textContent = node.dataset.labelRemove;
        del.addEventListener("click", function () { remove(item.key).then(refresh); });
        li.appendChild(del);
      }
      list.appendChild(li);
    });
  }

  function refresh() { return all().then(function (items) { show(items); return items; }); }

  function told(text) {
    var node = document.getElementById("grid-sent");
    if (!node) return;
    node.hidden = false;
    node.textContent = text;
  }

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function body(item) {
    var form = new FormData();
    ["category", "description", "lat", "long", "observed_at", "attributes", "patrol_id", "address_string"]
      .forEach(function (k) { if (item[k] !== undefined && item[k] !== null && item[k] !== "") form.append(k, item[k]); });
    form.append("source_ref", "grid-report:" + item.key);
    item.photos.forEach(function (p) { form.append("photos", p.blob, p.name); });
    return form;
  }

  function sendOne(item) {
    return fetch(URL, {
      method: "POST", body: body(item), credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf(), Accept: "application/json" }
    }).then(function (response) {
      if (response.ok) {
        return response.json().then(function (data) {
          return remove(item.key).then(function () {
            told(fill(box().dataset.labelSent, { code: data.tracking_code }));
            return "sent";
          });
        });
      }
      if (response.status === 401 || response.status === 403) {
        told(box().dataset.labelLogin);
        return "stop";
      }
      if (response.status === 422 || response.status === 413 || response.status === 409) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          item.error = (data && data.detail) ? String(data.detail) : String(response.status);
          return put(item).then(function () { return "failed"; });
        });
      }
      return "stop"; // busy, rate limited, server error: try again later
    }, function () { return "stop"; }); // no connection
  }

  function flush() {
    if (sending || !navigator.onLine) return refresh();
    sending = true;
    return all().then(function (items) {
      var waiting = items.filter(function (i) { return !i.error; });
      var step = function (n) {
        if (n >= waiting.length) return null;
        return sendOne(waiting[n]).then(function (r) { return r === "stop" ? null : step(n + 1); });
      };
      return step(0);
    }).then(function () { sending = false; return refresh(); },
            function (e) { sending = false; if (window.console) console.error(e); return refresh(); });
  }

  function add(report) {
    report.key = newKey();
    report.created = Date.now();
    report.error = "";
    return put(report).then(refresh);
  }

  window.GridQueue = { add: add, flush: flush, all: all, refresh: refresh };
  window.addEventListener("online", flush);
  window.addEventListener("offline", refresh);
  document.addEventListener("DOMContentLoaded", function () {
    var send = document.getElementById("grid-queue-send");
    if (send) send.addEventListener("click", flush);
    flush();
  });
})();
