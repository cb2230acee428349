// Attachment uploads through htmx: show the server's 413/415/422 answers in place (htmx swaps only 2xx by default)
// and stop a file over its size limit before it is sent. The server checks everything again.
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    var status = event.detail.xhr.status;
    if (elt && elt.closest && elt.closest("[data-attachments]") && [413, 415, 422].indexOf(status) >= 0) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form[data-photo-max]")) {
      return;
    }
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    if (!file) {
      return;
    }
    var limit = file.type.indexOf("image/") === 0 ? Number(form.dataset.photoMax) : Number(form.dataset.videoMax);
    if (file.size > limit) {
      event.preventDefault();
      var message = form.parentNode.querySelector("[data-attachments-message]");
      if (message) {
        message.textContent = form.dataset.tooBig;
      }
    }
  });
})();
