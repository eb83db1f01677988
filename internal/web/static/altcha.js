// The proof of work of the message form, speaking the ALTCHA protocol
// (https://altcha.org/docs/): the challenge in the form's data-altcha attribute is the SHA-256
// of a salt and a secret number; this finds the number by trying them in turn and puts the
// solution, base64 of the protocol's JSON, in the hidden field "altcha". The server checks it
// (internal/altcha) and takes each solution once. Nothing leaves the page but the solution.

const form = document.querySelector("form[data-altcha]");

async function digest(text) {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function solve(challenge) {
  for (let n = 0; n <= challenge.maxnumber; n++) {
    if ((await digest(challenge.salt + n)) === challenge.challenge) {
      return n;
    }
  }
  return -1;
}

async function run() {
  const status = form.querySelector("[data-altcha-status]");
  const field = form.querySelector("input[name=altcha]");
  const button = form.querySelector("button[type=submit]");
  const challenge = JSON.parse(form.dataset.altcha);
  button.disabled = true;
  status.textContent = status.dataset.working;
  const n = await solve(challenge);
  if (n < 0) {
    status.textContent = status.dataset.failed;
    return;
  }
  field.value = btoa(JSON.stringify({
    algorithm: challenge.algorithm, challenge: challenge.challenge, number: n,
    salt: challenge.salt, signature: challenge.signature,
  }));
  status.textContent = status.dataset.done;
  button.disabled = false;
}

if (form && window.crypto && crypto.subtle) {
  run();
}
