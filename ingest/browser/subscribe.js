// aftercart web push sign-up, loaded by a shop's page from the gateway:
//
//   <script src="https://hooks.example/push/subscribe.js"
//           data-token="TOKEN" data-service-worker="/aftercart-sw.js"></script>
//
// data-token is the customer's signed id, made by the shop's backend (README, "Web push
// sign-up"); data-service-worker is where the shop serves the gateway's /push/sw.js from its
// own origin. aftercartPush.subscribe(), called from a click, asks for permission, subscribes
// this browser with the gateway's VAPID key and posts the subscription to the gateway. It
// resolves with the gateway's answer and rejects with an Error saying what went wrong.
"use strict";

(() => {
  const APPLICATION_SERVER_KEY = __APPLICATION_SERVER_KEY__;
  const script = document.currentScript;
  const endpoint = new URL("subscriptions", script.src).href;
  const token = script.dataset.token || "";
  const workerPath = script.dataset.serviceWorker || "/aftercart-sw.js";

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  function keyBytes(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  function sameKey(buffer, bytes) {
    const given = buffer ? new Uint8Array(buffer) : new Uint8Array();
    return given.length === bytes.length && given.every((b, i) => b === bytes[i]);
  }

  // pushManager.subscribe needs an active worker; a new registration is still installing.
  function activated(registration) {
    if (registration.active) return Promise.resolve(registration);
    const worker = registration.installing || registration.waiting;
    return new Promise((resolve, reject) => {
      worker.addEventListener("statechange", () => {
        if (worker.state === "activated") resolve(registration);
        if (worker.state === "redundant") reject(new Error("the service worker failed to install"));
      });
    });
  }

  async function browserSubscription(registration) {
    const key = keyBytes(APPLICATION_SERVER_KEY);
    const existing = await registration.pushManager.getSubscription();
    if (existing && sameKey(existing.options.applicationServerKey, key)) return existing;
    if (existing) await existing.unsubscribe(); // made with another key: it cannot be reused
    return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  }

  async function post(subscription) {
    let response;
    try {
      response = await fetch(endpoint, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: token, subscription: subscription.toJSON() }),
      });
    } catch (error) {
      throw new Error(
        `could not reach ${endpoint} (offline, or this page's origin is not allowed there)`
      );
    }
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || `the gateway answered ${response.status}`);
    return answer;
  }

  async function subscribe() {
    if (!supported()) throw new Error("this browser cannot receive web push");
    if (!token) throw new Error("subscribe.js needs the customer's signed token (data-token)");
    const permission = await Notification.requestPermission();
    if (permission !== "granted") throw new Error(`notifications are ${permission} for this site`);
    const registration = await activated(await navigator.serviceWorker.register(workerPath));
    return post(await browserSubscription(registration));
  }

  window.aftercartPush = { subscribe: subscribe, supported: supported };
})();
