// jixiao review index: filter and sort the table of files, in the page, with nothing loaded from elsewhere.
(function () {
  "use strict";
  var table = document.getElementById("files");
  if (!table) { return; }
  var body = table.tBodies[0];
  var filter = document.getElementById("filter");
  var status = document.getElementById("status");
  var attention = document.getElementById("attention");
  var count = document.getElementById("count");

  function apply() {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var text = row.textContent.toLowerCase();
      var keep = words.every(function (w) { return text.indexOf(w) !== -1; })
        && (!status.value || row.getAttribute("data-status") === status.value)
        && (!attention.checked || row.getAttribute("data-attention") === "1");
      row.hidden = !keep;
      if (keep) { shown += 1; }
    });
    count.textContent = shown + " of " + body.rows.length + " files shown";
  }

  function key(row, index, numeric) {
    var cell = row.cells[index];
    if (numeric) { return parseFloat(cell.getAttribute("data-value")); }
    return cell.textContent.trim();
  }

  function sort(th) {
    var index = th.cellIndex;
    var numeric = th.getAttribute("data-sort") === "num";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.cells, function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, index, numeric), y = key(b, index, numeric);
      var order = numeric ? x - y : x.localeCompare(y);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    th.addEventListener("click", function () { sort(th); });
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(th); } });
  });
  [filter, status, attention].forEach(function (control) {
    control.addEventListener("input", apply);
    control.addEventListener("change", apply);
  });
  apply();
}());
