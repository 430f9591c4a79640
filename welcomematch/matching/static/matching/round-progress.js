// Follows a round's background job: polls its status and reloads the page when it is over.
// Served as a file (no inline script), so a strict Content-Security-Policy allows it.
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("round-job");
    if (!box || box.getAttribute("data-active") !== "true") {
      return;
    }
    var url = box.getAttribute("data-status-url");
    var status = document.getElementById("job-status");
    var steps = document.getElementById("job-steps");
    function show(data) {
      if (!data.steps) {
        return;
      }
      data.steps.forEach(function (step) {
        var item = steps.querySelector('[data-stage="' + step.stage + '"]');
        if (item) {
          item.className = step.state;
        }
      });
      status.textContent = data.stage_label;
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          if (!data || !data.job) {
            window.setTimeout(poll, 3000);
            return;
          }
          show(data);
          if (data.active) {
            window.setTimeout(poll, 1500);
          } else {
            window.location.reload();
          }
        })
        .catch(function () {
          window.setTimeout(poll, 5000);
        });
    }
    window.setTimeout(poll, 1000);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
