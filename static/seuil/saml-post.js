// The HTTP-POST binding: the Response goes to the service as soon as the page is read.
document.getElementById("saml-post").submit();
