// Sortable tables: a click on a header sorts the rows by that column (numbers by their data-sort key; cells
// without a value last), a second click reverses the order.
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (header, column) {
    header.addEventListener("click", function () {
      var ascending = header.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
      header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].dataset.sort, y = b.cells[column].dataset.sort;
        if (x === "" || y === "") { return (x === "") - (y === ""); }
        var order = isNaN(x) || isNaN(y) ? x.localeCompare(y) : Number(x) - Number(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});

// The claims filter: paper, verdict and a text search; the count says how many claims are shown.
(function () {
  var paper = document.getElementById("filter-paper"), verdict = document.getElementById("filter-verdict");
  var text = document.getElementById("filter-text"), shown = document.getElementById("claims-shown");
  if (!paper) { return; }
  function apply() {
    var rows = document.querySelectorAll("#claims tbody tr"), count = 0, needle = text.value.toLowerCase();
    rows.forEach(function (row) {
      var visible = (!paper.value || row.dataset.paper === paper.value) &&
        (!verdict.value || row.dataset.verdict === verdict.value) &&
        (!needle || row.textContent.toLowerCase().indexOf(needle) >= 0);
      row.hidden = !visible;
      count += visible ? 1 : 0;
    });
    shown.textContent = count + " of " + rows.length + " claims shown";
  }
  [paper, verdict, text].forEach(function (input) {
    input.addEventListener("input", apply);
    input.addEventListener("change", apply);
  });
  apply();
})();
