// The HTTP-POST binding: the Response goes to the service once the page has loaded (a form
// posted while the page still loads may see its navigation cancelled by the page's own load).
window.addEventListener("load", function () {
  document.getElementById("saml-post").submit();
});
