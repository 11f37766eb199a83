// aftercart console: refreshes the parts of a page marked data-refresh="<url>" every few
// seconds, without a full reload. The pages work without it (each part has a link to reload).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const part of document.querySelectorAll("[data-refresh]")) {
    const every = Number(part.dataset.every || "5") * 1000;
    const refresh = async () => {
      try {
        const answer = await fetch(part.dataset.refresh, { credentials: "same-origin" });
        if (answer.ok) part.innerHTML = await answer.text();
      } catch (error) {
        // the gateway is away for a moment: keep what is shown, try again later
      }
      setTimeout(refresh, every);
    };
    setTimeout(refresh, every);
  }
});
