// The need form: keep the consent's list of recipient banks in step with the choice (PIPL Art. 23 names each
// recipient), and allow at most three banks. The server checks both again; this only helps the person typing.
(function () {
  "use strict";
  var form = document.getElementById("need-form");
  if (!form) { return; }
  var list = document.getElementById("consent-banks");
  var recommend = form.querySelector("input[name=recommend_for_me]");
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=banks]"));
  var emptyText = list && list.querySelector("li.muted") ? list.querySelector("li.muted").textContent : "";

  function show(names) {
    list.innerHTML = "";
    if (!names.length) {
      var li = document.createElement("li"); li.className = "muted"; li.textContent = emptyText; list.appendChild(li);
    }
    names.forEach(function (n) { var li = document.createElement("li"); li.textContent = n; list.appendChild(li); });
  }

  function update() {
    var chosen = boxes.filter(function (b) { return b.checked; });
    boxes.forEach(function (b) { b.disabled = recommend.checked || (!b.checked && chosen.length >= 3); });
    if (!recommend.checked) { show(chosen.map(function (b) { return b.getAttribute("data-name"); })); return; }
    var q = new URLSearchParams({ uscc: form.uscc.value, amount_wan: form.amount_wan.value,
      term_months: form.term_months ? form.term_months.value : "", guarantee: form.guarantee ? form.guarantee.value : "" });
    fetch("/q/" + encodeURIComponent(form.getAttribute("data-channel")) + "/recommend?" + q.toString())
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { if (recommend.checked) { list.innerHTML = html; } });
  }

  form.addEventListener("change", function (evt) {
    var n = evt.target.name;
    if (n === "banks" || n === "recommend_for_me" || (recommend.checked && ["uscc", "amount_wan", "term_months", "guarantee"].indexOf(n) >= 0)) { update(); }
  });
  update();
})();
