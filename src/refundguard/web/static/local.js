// Local mode: show that work is under way. The upload form disables its button and says what it is doing; the
// report page of a running analysis asks /report/<token>/status and shows the stage until the report is ready.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (form) {
    form.addEventListener("submit", function () {
      var button = document.getElementById("analyse-button");
      var stage = document.getElementById("upload-stage");
      if (button) { button.disabled = true; }
      if (stage) { stage.hidden = false; }
    });
  }
  var box = document.getElementById("progress");
  if (!box) { return; }
  var url = box.getAttribute("data-status");
  var text = document.getElementById("stage");
  var bar = document.getElementById("stage-bar");
  function poll() {
    fetch(url, { cache: "no-store", credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (s) {
        if (text && s.stage) { text.textContent = s.stage; }
        if (bar && s.total) { bar.max = s.total; bar.value = s.done; }
        if (s.state === "running") { setTimeout(poll, 600); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 1500); });
  }
  setTimeout(poll, 400);
})();
