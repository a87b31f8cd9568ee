/* Passkeys: ask the server for options, call the browser's WebAuthn, post the answer back.
   The server checks everything (seuil/mfa/passkeys.py); this file only carries bytes, encoded
   in base64url both ways, as py_webauthn's JSON options and answers expect. */
(function () {
  "use strict";

  function toBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrf() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) { return field.value; }
    var match = document.cookie.match(/csrftoken=([^;]+)/);
    return match ? match[1] : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (data) { data.status = response.status; return data; });
    });
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBytes(item.id), transports: item.transports };
    });
  }

  function show(box, message) {
    if (!box) { return; }
    if (message) { box.textContent = message; }
    box.hidden = false;
    box.focus && box.focus();
  }

  var register = document.getElementById("passkey-register");
  if (register) {
    register.addEventListener("submit", function (event) {
      event.preventDefault();
      var box = document.getElementById("passkey-error");
      box.hidden = true;
      var name = register.querySelector("input[name=name]").value.trim();
      if (!name) { show(box, register.querySelector("label").textContent.trim() + " ?"); return; }
      post(register.dataset.options).then(function (options) {
        options.challenge = toBytes(options.challenge);
        options.user.id = toBytes(options.user.id);
        options.excludeCredentials = descriptors(options.excludeCredentials);
        return navigator.credentials.create({ publicKey: options });
      }).then(function (credential) {
        return post(register.dataset.register, {
          name: name,
          credential: {
            id: credential.id,
            rawId: toText(credential.rawId),
            type: credential.type,
            response: {
              clientDataJSON: toText(credential.response.clientDataJSON),
              attestationObject: toText(credential.response.attestationObject),
              transports: credential.response.getTransports ? credential.response.getTransports() : []
            },
            clientExtensionResults: credential.getClientExtensionResults(),
            authenticatorAttachment: credential.authenticatorAttachment
          }
        });
      }).then(function (answer) {
        if (answer.ok) {
          window.location.assign(register.dataset.next || window.location.pathname);
        } else {
          show(box, answer.error);
        }
      }).catch(function (error) {
        show(box, register.dataset.failed || String(error && error.message || error));
      });
    });
  }

  var signIn = document.getElementById("passkey-sign-in");
  if (signIn) {
    signIn.addEventListener("click", function () {
      var box = document.getElementById("passkey-error");
      box.hidden = true;
      post(signIn.dataset.options).then(function (options) {
        options.challenge = toBytes(options.challenge);
        options.allowCredentials = descriptors(options.allowCredentials);
        return navigator.credentials.get({ publicKey: options });
      }).then(function (credential) {
        return post(signIn.dataset.verify, {
          credential: {
            id: credential.id,
            rawId: toText(credential.rawId),
            type: credential.type,
            response: {
              clientDataJSON: toText(credential.response.clientDataJSON),
              authenticatorData: toText(credential.response.authenticatorData),
              signature: toText(credential.response.signature),
              userHandle: credential.response.userHandle ? toText(credential.response.userHandle) : null
            },
            clientExtensionResults: credential.getClientExtensionResults(),
            authenticatorAttachment: credential.authenticatorAttachment
          }
        });
      }).then(function (answer) {
        if (answer.ok) {
          window.location.assign(answer.next || signIn.dataset.next || "/mon-ent/");
        } else {
          show(box);
        }
      }).catch(function () { show(box); });
    });
  }
})();
