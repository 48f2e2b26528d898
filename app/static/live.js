// The admin live page: poll the JSON snapshot and redraw the three tables (text only, never HTML from data).
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) { return; }
  var PERIOD_MS = 3000;

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    row.appendChild(td);
    return td;
  }

  function fill(tbodyId, items, columns, emptyText) {
    var body = document.getElementById(tbodyId);
    var rows = [];
    if (items === null) {
      items = [];
      emptyText = "Live events are unavailable (Redis unreachable).";
    }
    items.forEach(function (item) {
      var tr = document.createElement("tr");
      columns.forEach(function (col) {
        var td = cell(tr, typeof col === "function" ? "" : item[col]);
        if (typeof col === "function") { col(item, td); }
      });
      rows.push(tr);
    });
    if (!rows.length) {
      var tr = document.createElement("tr");
      var td = cell(tr, emptyText);
      td.colSpan = columns.length;
      td.className = "text-muted";
      rows.push(tr);
    }
    body.replaceChildren.apply(body, rows);
  }

  function gateName(g, td) {
    td.textContent = g.name + (g.active ? "" : " (inactive)");
  }

  function gateStatus(g, td) {
    var badge = document.createElement("span");
    badge.className = "badge badge-" + (g.online ? "success" : "secondary");
    badge.textContent = g.online ? "online" : "offline";
    td.appendChild(badge);
  }

  function heartbeat(g, td) { td.textContent = g.last_heartbeat || "never"; }

  function thumbnail(item, td) {
    if (!item.snapshot) { return; }
    var link = document.createElement("a");
    var img = document.createElement("img");
    link.href = img.src = item.snapshot;
    img.className = "snapshot";
    img.alt = "snapshot";
    img.width = img.height = 48;
    link.appendChild(img);
    td.appendChild(link);
  }

  function refresh() {
    fetch(root.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        fill("live-gates", data.gates, [gateName, gateStatus, heartbeat, "door", "mode"], "No gates yet: add one under Gates (its camera and the token its Pi uses).");
        fill("live-alarms", data.alarms, ["time", "gate", "alarm", "door"], "No alarm waiting for acknowledgement.");
        if (data.alarms.length) {
          document.querySelectorAll("#live-alarms tr").forEach(function (tr) { tr.className = "table-danger"; });
        }
        lastEvents = data.events;
        showEvents();
        fill("live-passages", data.passages, [thumbnail, "time", "gate", "person", "status", "violation"], "Nobody has passed a gate yet.");
        document.getElementById("live-generated").textContent = data.generated;
        document.getElementById("live-error").textContent = "";
      })
      .catch(function (err) {
        document.getElementById("live-error").textContent = "(update failed: " + err.message + ")";
      })
      .finally(function () { window.setTimeout(refresh, PERIOD_MS); });
  }

  // The event kind chosen in the select (granted, denied, stranger, spoof; empty: all) filters the events table.
  var kindSelect = document.getElementById("live-event-kind");
  var lastEvents;

  function showEvents() {
    var kind = kindSelect.value;
    var events = lastEvents == null ? lastEvents : lastEvents.filter(function (e) { return !kind || e.kind === kind; });
    fill("live-events", events, [thumbnail, "time", "gate", "type", "person", "direction", "reason"],
         kind ? "No " + kind + " events among the latest." :
           "No gate events yet: they appear when a camera sees someone at an active gate.");
  }

  kindSelect.addEventListener("change", function () {
    if (lastEvents !== undefined) { showEvents(); return; }
    document.querySelectorAll("#live-events tr[data-kind]").forEach(function (row) {
      row.hidden = Boolean(kindSelect.value) && row.dataset.kind !== kindSelect.value;
    });
  });

  window.setTimeout(refresh, PERIOD_MS);
}());
