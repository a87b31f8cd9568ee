/* The live indicator ("pastille verte"): the rule set of seuil/accounts/passwords.py, applied in
   the browser to the policy the page embeds (#password-policy). Nothing typed here is sent
   anywhere: the server checks again, and decides, when the person presses "Valider".

   The page paints without zxcvbn (820 KB) and the common passwords: both are fetched when the
   person first touches the form. Until they arrive the rule itself is checked live, the fields
   work, and the indicator says the other checks are loading. */
(function () {
  "use strict";

  var script = document.currentScript;
  var ZXCVBN_URL = script ? script.getAttribute("data-zxcvbn") : null;
  var loadedCommon = null;  // the Set fetched from policy.commonUrl

  var LOWER = "abcdefghijklmnopqrstuvwxyz";
  var UPPER = LOWER.toUpperCase();
  var DIGITS = "0123456789";
  var SPECIALS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ ";
  var PERSONAL_MIN = 3;
  var ACCENT = /^[\p{L}\p{M}]$/u;
  var ALNUM = /^[A-Za-z0-9]$/;

  // Code points, as Python counts them: "😀".length is 2 in JavaScript.
  function chars(text) { return Array.from(text); }

  function format(template, values) {
    return template.replace(/%\((\w+)\)[sd]/g, function (_, key) { return String(values[key]); });
  }

  function normaliseSesame(text) {
    return text.replace(/[ \t\n\r\f\v-]/g, "").toUpperCase()
      .replace(/O/g, "0").replace(/[IL]/g, "1");
  }

  function alphabet(text) {
    var size = 0;
    [LOWER, UPPER, DIGITS, SPECIALS].forEach(function (members) {
      if (chars(text).some(function (c) { return members.indexOf(c) >= 0; })) { size += members.length; }
    });
    return size;
  }

  function entropy(text) {
    var size = alphabet(text);
    return size ? chars(text).length * Math.log2(size) : 0;
  }

  function refused(policy, password) {
    var accent = "", special = "";
    chars(password).forEach(function (c) {
      if (ALNUM.test(c)) { return; }
      if (policy.alphabet === "ascii" && SPECIALS.indexOf(c) >= 0) { return; }
      if (ACCENT.test(c)) { accent = accent || c; } else { special = special || c; }
    });
    return { accent: accent, special: special };
  }

  function quality(policy, password, context, common) {
    var found = [];
    var lowered = password.toLowerCase();
    var m = policy.messages;
    if (common.has(lowered)) { found.push({ code: "common", message: m.common }); }
    if (policy.minZxcvbn) {
      var inputs = [context.login].concat(context.words, [context.sesame]).filter(Boolean);
      var result = typeof window.zxcvbn === "function" ? window.zxcvbn(password, inputs) : null;
      if (!result || result.score < policy.minZxcvbn) {
        found.push({ code: "guessable", message: guessableMessage(m, result ? result.sequence : []) });
      }
    }
    var words = [context.login].concat(context.words, loginWords(context.login))
      .filter(function (w) { return chars(w).length >= PERSONAL_MIN; });
    if (words.some(function (w) { return lowered.indexOf(w.toLowerCase()) >= 0; })) {
      found.push({ code: "personal", message: m.personal });
    }
    if (context.sesame && normaliseSesame(password) === normaliseSesame(context.sesame)) {
      found.push({ code: "sesame", message: m.sesame });
    }
    return found;
  }

  /* Why zxcvbn finds it guessable, in the order and words of passwords.REASONS. */
  function guessableMessage(m, sequence) {
    var patterns = sequence.map(function (match) { return match.pattern; });
    var reasons = [];
    Object.keys(m.reasons).forEach(function (pattern) {
      var reason = m.reasons[pattern];
      if (patterns.indexOf(pattern) >= 0 && reasons.indexOf(reason) < 0) { reasons.push(reason); }
    });
    return reasons.length ? format(m.because, { reasons: reasons.join(m.and) }) : m.guessable;
  }

  /* The family name a login is made of, as passwords.login_words() finds it: "elefevre2" → lefevre. */
  function loginWords(login) {
    var family = (login || "").trim().toLowerCase().slice(1).replace(/[0-9]+$/, "");
    return chars(family).length >= PERSONAL_MIN ? [family] : [];
  }

  var commonSets = new WeakMap();

  /* The common passwords: given in the policy (tests), fetched, or none to check against. */
  function commonSet(policy) {
    if (policy.common) {
      if (!commonSets.has(policy)) { commonSets.set(policy, new Set(policy.common)); }
      return commonSets.get(policy);
    }
    return policy.commonUrl ? loadedCommon : new Set();
  }

  var loading = null;

  /* zxcvbn and the common passwords, fetched once; `done` runs when both are there. */
  function loadChecks(policy, done) {
    if (loading) { return loading; }
    var parts = [];
    if (policy.minZxcvbn && typeof window.zxcvbn !== "function" && ZXCVBN_URL) {
      parts.push(new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = ZXCVBN_URL;
        tag.onload = resolve;
        tag.onerror = reject;
        document.head.appendChild(tag);
      }));
    }
    if (policy.commonUrl && !policy.common) {
      parts.push(fetch(policy.commonUrl, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (words) { loadedCommon = new Set(words); }));
    }
    loading = Promise.all(parts).then(done, function () { loading = null; });
    return loading;
  }

  /* Every criterion not met, in the order passwords.unmet() gives them. */
  function evaluate(policy, password, confirmation, context) {
    var m = policy.messages;
    var found = [];
    var length = chars(password).length;
    if (length < policy.min || length > policy.max) {
      found.push({ code: "length", message: length > policy.max ? m.long : m.short });
    }
    var bad = refused(policy, password);
    if (bad.accent) { found.push({ code: "accent", message: format(m.accent, { char: bad.accent }) }); }
    if (bad.special) {
      var shown = bad.special === " " ? m.space : bad.special;
      found.push({ code: "special", message: format(m.special, { char: shown }) });
    }
    if (policy.minEntropy && entropy(password) < policy.minEntropy) {
      found.push({ code: "entropy", message: m.entropy });
    }
    if (!found.length) {
      var common = commonSet(policy);
      if (!common || (policy.minZxcvbn && typeof window.zxcvbn !== "function")) {
        found.push({ code: "loading", message: m.loading });
      } else {
        found = found.concat(quality(policy, password, context, common));
      }
    }
    if (confirmation !== null && password !== confirmation) {
      found.push({ code: "match", message: m.match });
    }
    return found;
  }

  function wire() {
    var data = document.getElementById("password-policy");
    var indicator = document.getElementById("password-indicator");
    var first = document.getElementById("id_password1");
    var second = document.getElementById("id_password2");
    if (!data || !indicator || !first || !second) { return; }
    var policy = JSON.parse(data.textContent);
    var login = document.getElementById("id_login");
    var sesame = document.getElementById("id_sesame");
    var word = indicator.querySelector(".indicator__word");
    var list = indicator.querySelector(".indicator__unmet");
    var match = indicator.querySelector(".indicator__match");
    var shown = null;

    /* The password's own verdict first, next to the field being typed; the confirmation is a
       separate line, so a valid first password turns the dot green at once. */
    function update() {
      var context = {
        login: login ? login.value.trim().toLowerCase() : policy.login,
        words: policy.words,
        sesame: sesame ? sesame.value : ""
      };
      var unmet = evaluate(policy, first.value, null, context);
      var pairing = !second.value ? "pending" : (second.value === first.value ? "matches" : "differs");
      var text = unmet.map(function (u) { return u.message; }).concat([pairing]).join("\n");
      if (text === shown) { return; }  // a live region should speak only of changes
      shown = text;
      indicator.setAttribute("data-valid", unmet.length ? "false" : "true");
      indicator.setAttribute("data-match", pairing);
      word.textContent = unmet.length ? policy.messages.invalid : policy.messages.valid;
      list.replaceChildren.apply(list, unmet.map(function (u) {
        var item = document.createElement("li");
        item.textContent = u.message;
        return item;
      }));
      if (match) { match.textContent = policy.messages[pairing]; }
    }

    [first, second, login, sesame].forEach(function (field) {
      if (field) { field.addEventListener("input", update); }
    });
    // The first touch of the form fetches the remaining checks (a failed fetch is retried at
    // the next touch; the server checks everything anyway).
    var form = first.form || document;
    ["focusin", "input", "pointerdown"].forEach(function (type) {
      form.addEventListener(type, function () { loadChecks(policy, update); });
    });
    document.querySelectorAll("input[type=password]").forEach(function (field) {
      var toggle = document.createElement("button");
      toggle.type = "button";
      toggle.className = "toggle";
      toggle.textContent = policy.messages.show;
      toggle.setAttribute("aria-pressed", "false");
      toggle.setAttribute("aria-controls", field.id);
      var label = document.querySelector("label[for=" + field.id + "]");
      var name = label && label.firstChild ? label.firstChild.textContent.trim() : "";
      toggle.setAttribute("aria-label", policy.messages.show + " : " + name.toLowerCase());
      toggle.addEventListener("click", function () {
        var hidden = field.type === "password";
        field.type = hidden ? "text" : "password";
        toggle.setAttribute("aria-pressed", hidden ? "true" : "false");
      });
      field.insertAdjacentElement("afterend", toggle);
    });
    window.addEventListener("load", update);
    update();
  }

  window.seuilPassword = { evaluate: evaluate, entropy: entropy, normaliseSesame: normaliseSesame };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
