// A one-time sign-in link: the page holds a form that spends the link with a POST, sent here
// at once. Link previews and mail scanners fetch the page but run no script, so they cannot
// use the link up; without scripts the person presses "Continue".
(function () {
  "use strict";
  function start() {
    var form = document.getElementById("link-signin");
    if (form) {
      form.submit();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
