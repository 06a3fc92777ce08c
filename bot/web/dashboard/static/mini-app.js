// The Telegram Mini App's sign-in: Telegram opens /dashboard/app with the signed initData in
// the address's fragment (#tgWebAppData=...); it is posted to /dashboard/auth/telegram,
// where the server checks its signature. No other script runs on the dashboard.
(function () {
  "use strict";
  function start() {
    var params = new URLSearchParams(window.location.hash.slice(1));
    var data = params.get("tgWebAppData");
    if (!data && window.Telegram && window.Telegram.WebApp) {
      data = window.Telegram.WebApp.initData;
    }
    var form = document.getElementById("telegram-signin");
    if (!data || !form) {
      document.getElementById("waiting").classList.add("hidden");
      document.getElementById("outside").classList.remove("hidden");
      return;
    }
    document.getElementById("init-data").value = data;
    history.replaceState(null, "", window.location.pathname);
    form.submit();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
