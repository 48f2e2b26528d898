// The admin live page's camera views: poll each gate's latest processed frame (JSON: a JPEG data URL, the faces'
// boxes and captions) a few times a second and draw it on a canvas, boxes and captions drawn here, in the browser.
(function () {
  "use strict";
  var PERIOD_MS = 250;
  var COLOURS = { known: "#28a745", stranger: "#dc3545", unidentified: "#adb5bd" };

  function draw(canvas, image, faces) {
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    var ctx = canvas.getContext("2d");
    ctx.drawImage(image, 0, 0);
    var scale = Math.max(1, canvas.width / 640);
    ctx.lineWidth = 3 * scale;
    ctx.font = Math.round(16 * scale) + "px system-ui, sans-serif";
    ctx.textBaseline = "bottom";
    faces.forEach(function (face) {
      var b = face.box, colour = COLOURS[face.kind] || COLOURS.unidentified;
      ctx.strokeStyle = colour;
      ctx.strokeRect(b[0], b[1], b[2], b[3]);
      var width = ctx.measureText(face.caption).width + 8 * scale, height = 22 * scale;
      var top = b[1] > height ? b[1] - height : b[1] + b[3];
      ctx.fillStyle = colour;
      ctx.fillRect(b[0] - ctx.lineWidth / 2, top, width, height);
      ctx.fillStyle = "#fff";
      ctx.fillText(face.caption, b[0] + 4 * scale - ctx.lineWidth / 2, top + height - 3 * scale);
    });
  }

  function watch(card) {
    var canvas = card.querySelector(".camera-canvas");
    var message = card.querySelector(".camera-message");
    var info = card.querySelector(".camera-info");
    var state = card.querySelector(".camera-state");
    var door = card.querySelector(".camera-door");
    var lockdown = card.querySelector(".camera-lockdown");
    var lastSeq = null;

    function show(data) {
      state.textContent = data.online ? "online" : "offline";
      state.className = "camera-state badge badge-" + (data.online ? "success" : "secondary");
      door.textContent = data.door ? "door " + data.door : "";
      lockdown.hidden = !data.lockdown;
      if (!data.image) {
        message.textContent = data.message;
        message.hidden = false;
        canvas.hidden = true;
        info.textContent = "";
        return Promise.resolve();
      }
      if (data.seq === lastSeq) { return Promise.resolve(); }
      lastSeq = data.seq;
      return new Promise(function (resolve) {
        var image = new Image();
        image.onload = function () {
          draw(canvas, image, data.faces);
          canvas.hidden = false;
          message.hidden = true;
          info.textContent = "frame " + data.seq + " at " + data.captured + " · " + data.faces.length +
            (data.faces.length === 1 ? " face" : " faces");
          resolve();
        };
        image.onerror = resolve;
        image.src = data.image;
      });
    }

    function poll() {
      if (document.visibilityState !== "visible") {
        window.setTimeout(poll, PERIOD_MS * 4);
        return;
      }
      fetch(card.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(show)
        .catch(function (err) { message.textContent = "Update failed: " + err.message; message.hidden = false; })
        .finally(function () { window.setTimeout(poll, PERIOD_MS); });
    }

    poll();
  }

  Array.prototype.forEach.call(document.querySelectorAll(".camera[data-url]"), watch);
}());
