// "Émettre et imprimer la lettre": the answer is a PDF download, which leaves the page as it
// was, button live, and a second click would void the letter just printed. Post the form
// here instead, save the PDF, and replace the form with what was done. Without JavaScript, the
// server still refuses a second issue within minutes unless it is asked for explicitly.
"use strict";
(function () {
  const form = document.getElementById("sesame-form");
  const done = document.getElementById("sesame-done");
  if (!form || !done || !window.fetch) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("[type=submit]");
    button.disabled = true;
    let response;
    try {
      // Not form.action: the form's input named "action" shadows that property.
      response = await fetch(form.getAttribute("action"), {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
      });
    } catch (error) {
      button.disabled = false;
      return;
    }
    if (!(response.headers.get("Content-Type") || "").startsWith("application/pdf")) {
      form.submit(); // a page to show (a warning): nothing was issued, the server says why
      return;
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const name = (disposition.match(/filename="([^"]+)"/) || [])[1] || "sesames.pdf";
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    document.getElementById("sesame-ask").hidden = true;
    done.hidden = false;
    done.tabIndex = -1;
    done.focus();
  });
})();
