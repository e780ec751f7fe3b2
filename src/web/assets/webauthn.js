/* global document, window, SimpleWebAuthnBrowser */
// Runs the WebAuthn ceremony of a form marked data-webauthn="authenticate" or "register": the
// options come from the page's <script type="application/json" id="webauthn-options"> (data,
// not code: the CSP allows scripts of this server only, none inline), the browser talks to the
// key through SimpleWebAuthn's browser library (served by this server), and the result goes
// back in the form's hidden "credential" field. The server checks everything; this only
// carries. A browser without WebAuthn is told so, and the page's other ways stay usable.
document.addEventListener('DOMContentLoaded', function () {
  var form = document.querySelector('form[data-webauthn]');
  if (!form) return;
  var unsupported = document.getElementById('webauthn-unsupported');
  var button = form.querySelector('button[type="submit"]');
  if (typeof SimpleWebAuthnBrowser === 'undefined' || !SimpleWebAuthnBrowser.browserSupportsWebAuthn()) {
    if (unsupported) unsupported.hidden = false;
    if (button) button.disabled = true;
    return;
  }
  var optionsElement = document.getElementById('webauthn-options');
  var options = JSON.parse(optionsElement ? optionsElement.textContent : '{}');
  var running = false;
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (running) return;
    if (typeof form.reportValidity === 'function' && !form.reportValidity()) return;
    running = true;
    if (button) button.disabled = true;
    var ceremony = form.getAttribute('data-webauthn') === 'register'
      ? SimpleWebAuthnBrowser.startRegistration({ optionsJSON: options })
      : SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: options });
    ceremony
      .then(function (credential) {
        form.elements.namedItem('credential').value = JSON.stringify(credential);
      })
      .catch(function (error) {
        // Cancelled, timed out or refused by the authenticator: the server says so in the user's language.
        form.elements.namedItem('credential').value = JSON.stringify({ error: String(error && error.name) });
      })
      .then(function () {
        form.submit();
      });
  });
  window.addEventListener('pageshow', function () {
    running = false;
    if (button) button.disabled = false;
  });
});
