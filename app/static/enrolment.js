// Enrolment pages: poll the unfinished jobs' state and move their progress bars (text only, never HTML from data).
(function () {
  "use strict";
  var table = document.getElementById("jobs");
  if (!table) { return; }
  var PERIOD_MS = 2000;

  function unfinished() {
    return Array.prototype.slice.call(table.querySelectorAll("tr[data-job][data-finished='0']"));
  }

  function update(job) {
    var row = table.querySelector("tr[data-job='" + job.id + "']");
    if (!row) { return; }
    row.querySelector(".job-state").textContent = job.state;
    row.querySelector(".job-message").textContent = job.message;
    var bar = row.querySelector(".job-bar");
    bar.style.width = job.progress + "%";
    bar.setAttribute("aria-valuenow", job.progress);
    bar.textContent = job.progress + "%";
    if (job.finished) {
      row.setAttribute("data-finished", "1");
      var cancel = row.querySelector(".job-cancel");
      if (cancel) { cancel.remove(); }
    }
  }

  function poll() {
    var rows = unfinished();
    if (!rows.length) { return; }
    var query = rows.map(function (r) { return "id=" + encodeURIComponent(r.getAttribute("data-job")); }).join("&");
    fetch(table.getAttribute("data-url") + "?" + query, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (jobs) { jobs.forEach(update); })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { window.setTimeout(poll, PERIOD_MS); });
  }
  window.setTimeout(poll, PERIOD_MS);
})();
