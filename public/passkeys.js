// Passkeys on the sign-in page, the code page and the security page: the few
// navigator.credentials calls around the JSON API's ceremonies (app/src/server/passkeys.rs).
// Each ceremony is a `.../start` call that answers with WebAuthn options, the browser's dialog,
// then a call with its answer. Without JavaScript or WebAuthn, what this drives stays hidden and
// the rest of the page works as before. Plain JavaScript (no bundle): loaded from this site, as
// the Content-Security-Policy allows.
(() => {
  "use strict";
  if (window.portalPasskeys || !window.PublicKeyCredential || !navigator.credentials) return;
  window.portalPasskeys = true;

  const toBytes = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), "=");
    return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
  };
  const toText = (buffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");

  async function call(path, body) {
    const response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body ?? {}),
    });
    const answer = await response.json().catch(() => null);
    if (!response.ok || !answer || !answer.WasSuccessful) {
      const fields = (answer && answer.Errors) || [];
      const text = fields.length
        ? fields.map((field) => field.Message).join(" ")
        : (answer && answer.Message) || "The portal did not answer. Try again.";
      throw new Error(text);
    }
    return answer.Value;
  }

  function creationOptions({ publicKey }) {
    publicKey.challenge = toBytes(publicKey.challenge);
    publicKey.user.id = toBytes(publicKey.user.id);
    for (const credential of publicKey.excludeCredentials || []) credential.id = toBytes(credential.id);
    return { publicKey };
  }

  function requestOptions({ publicKey }) {
    publicKey.challenge = toBytes(publicKey.challenge);
    for (const credential of publicKey.allowCredentials || []) credential.id = toBytes(credential.id);
    return { publicKey };
  }

  function asJson(credential) {
    const answer = credential.response;
    const response = { clientDataJSON: toText(answer.clientDataJSON) };
    if (answer.attestationObject) {
      response.attestationObject = toText(answer.attestationObject);
    } else {
      response.authenticatorData = toText(answer.authenticatorData);
      response.signature = toText(answer.signature);
      if (answer.userHandle) response.userHandle = toText(answer.userHandle);
    }
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response,
      extensions: credential.getClientExtensionResults(),
    };
  }

  // What the browser's own errors mean to the member.
  function explain(error) {
    if (error && error.name === "NotAllowedError") {
      return "The passkey request was cancelled or timed out. Try again when you are ready.";
    }
    if (error && error.name === "InvalidStateError") {
      return "This device already has a passkey for your account.";
    }
    return (error && error.message) || "The passkey did not work. Try again.";
  }

  // Runs `work` for `container`'s control, showing its failure in the container's message.
  function wire(container, control, event, work) {
    const message = container.querySelector("[data-passkey-message]") ||
      container.parentElement.querySelector("[data-passkey-message]");
    control.addEventListener(event, async (happened) => {
      happened.preventDefault();
      const button = container.querySelector("button");
      button.disabled = true;
      if (message) message.hidden = true;
      try {
        await work();
      } catch (error) {
        if (message) {
          message.textContent = explain(error);
          message.hidden = false;
        }
        button.disabled = false;
      }
    });
    container.hidden = false;
  }

  async function signIn(started, finish, next, extra) {
    const credential = await navigator.credentials.get(requestOptions(started.Options));
    await call(finish, { ...extra, Ceremony: started.Ceremony, Credential: asJson(credential) });
    window.location.assign(next || "/profile");
  }

  for (const box of document.querySelectorAll('[data-passkey="sign-in"]')) {
    const button = box.querySelector("button");
    wire(box, button, "click", async () => {
      const started = await call("/api/auth/passkey/start");
      await signIn(started, "/api/auth/passkey", box.dataset.next);
    });
  }

  for (const box of document.querySelectorAll('[data-passkey="second-step"]')) {
    const button = box.querySelector("button");
    wire(box, button, "click", async () => {
      // The challenge is the page's cookie; the API reads it when the body names none.
      const started = await call("/api/auth/login/second-factor/passkey/start");
      await signIn(started, "/api/auth/login/second-factor/passkey", box.dataset.next);
    });
  }

  for (const form of document.querySelectorAll('form[data-passkey="register"]')) {
    wire(form, form, "submit", async () => {
      const field = (name) => (form.elements.namedItem(name) || { value: "" }).value;
      const started = await call("/api/account/passkeys/start", {
        Name: field("name"),
        CurrentPassword: field("current_password"),
        Code: field("code"),
      });
      const credential = await navigator.credentials.create(creationOptions(started.Options));
      await call("/api/account/passkeys", {
        Ceremony: started.Ceremony,
        Credential: asJson(credential),
      });
      window.location.assign("/profile/security?notice=passkey-added#passkeys");
    });
  }
})();
