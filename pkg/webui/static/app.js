// jml history: progressive enhancement only — every page works without it.
// A "copy" button beside each code.copy (the resume command).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll("code.copy").forEach(function (code) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "copy-button";
    b.textContent = "copy";
    b.addEventListener("click", function () {
      navigator.clipboard.writeText(code.textContent).then(function () {
        b.textContent = "copied";
      }, function () {
        b.textContent = "select and copy";
      });
    });
    code.insertAdjacentElement("afterend", b);
  });
});
