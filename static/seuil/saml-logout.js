// Single logout: once every service's frame has loaded, or after three seconds whatever they
// do, go on to the service that asked (a link to follow or a form to post), if one did.
(function () {
  var next = document.getElementById("saml-logout-next");
  if (!next) return;
  var frames = Array.prototype.slice.call(document.querySelectorAll(".logout-frames iframe"));
  var waiting = frames.length;
  var gone = false;
  function go() {
    if (gone) return;
    gone = true;
    if (next.tagName === "FORM") next.submit();
    else window.location.assign(next.href);
  }
  frames.forEach(function (frame) {
    frame.addEventListener("load", function () { if (--waiting <= 0) go(); });
  });
  if (waiting === 0) go();
  window.setTimeout(go, 3000);
})();
