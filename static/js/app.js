// Reanimator pages: a few enhancements on top of server-rendered HTML. Everything works without it.
(function () {
  "use strict";
  var pad = function (n) { return String(n).padStart(2, "0"); };

  // <time datetime="UTC ISO"> elements show the viewer's zone; the title keeps the UTC time.
  function localise(root) {
    (root || document).querySelectorAll("time[datetime]:not([data-local])").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      var text = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
      if (el.dataset.style !== "date") text += " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
      el.textContent = text;
      el.dataset.local = "1";
    });
  }

  // Ingest console: drag and drop onto the drop zone, several files, an upload progress bar.
  function uploads(root) {
    (root || document).querySelectorAll("[data-dropzone]:not([data-ready])").forEach(function (zone) {
      zone.dataset.ready = "1";
      var form = zone.closest("form");
      var input = zone.querySelector("input[type=file]");
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("over"); });
      });
      zone.addEventListener("drop", function (e) {
        if (!e.dataTransfer || !e.dataTransfer.files.length) return;
        input.files = e.dataTransfer.files;
        form.requestSubmit();
      });
    });
  }

  document.addEventListener("htmx:xhr:progress", function (e) {
    var bar = document.getElementById("upload-progress");
    if (!bar || !e.detail.lengthComputable) return;
    bar.hidden = false;
    bar.value = Math.round((e.detail.loaded / e.detail.total) * 100);
  });
  document.addEventListener("htmx:afterRequest", function () {
    var bar = document.getElementById("upload-progress");
    if (bar) { bar.hidden = true; bar.value = 0; }
  });

  function enhance(root) { localise(root); uploads(root); }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (e) { enhance(e.detail.elt); });
})();
