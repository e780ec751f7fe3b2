/* global document */
// Submits the page's form (response_mode=form_post, a logout without a session) as soon as
// the page is read: a script of this server, since the CSP allows no inline script. Without
// JavaScript the page's Continue button does the same.
document.addEventListener('DOMContentLoaded', function () {
  var form = document.getElementById('form-post');
  if (form) form.submit();
});
