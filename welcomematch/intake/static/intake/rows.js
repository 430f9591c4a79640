// "Add a row" without a round trip: the same button posts the form and re-renders it with a
// blank row when there is no JavaScript; here it copies the formset's empty row instead.
(function () {
  "use strict";
  document.querySelectorAll("button.add-row[data-rows]").forEach(function (button) {
    var prefix = button.getAttribute("data-rows");
    var template = document.getElementById("rows-" + prefix + "-empty");
    var rows = document.getElementById("rows-" + prefix);
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    if (!template || !rows || !total) {
      return;
    }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var index = parseInt(total.value, 10) || 0;
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var row = holder.firstElementChild;
      var number = row.querySelector(".row-number");
      if (number) {
        number.textContent = String(index + 1);
      }
      rows.appendChild(row);
      total.value = String(index + 1);
      var first = row.querySelector("input:not([type=hidden]), select, textarea");
      if (first) {
        first.focus();
      }
    });
  });
})();
