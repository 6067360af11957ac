/* Conditional questions of a configured form (documents/definitions.py `show_if`): a block with
   data-show-key / data-show-equals is shown only while the named field has that value. Without
   JavaScript every question stays visible and the server drops the answers of hidden ones. */
(function () {
  "use strict";
  function valueOf(form, name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === "checkbox") { return input.checked ? "true" : "false"; }
      if (input.type === "radio") { if (input.checked) { return input.value; } continue; }
      return input.value;
    }
    return "";
  }
  function update(form) {
    form.querySelectorAll("[data-show-key]").forEach(function (block) {
      var shown = valueOf(form, block.dataset.showKey) === block.dataset.showEquals;
      block.hidden = !shown;
    });
  }
  document.querySelectorAll("form[data-conditional]").forEach(function (form) {
    form.addEventListener("change", function () { update(form); });
    update(form);
  });
})();
