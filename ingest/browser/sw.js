// aftercart's service worker: shows each web push as a notification.
//
// The gateway serves it at /push/sw.js, but a service worker only controls pages of the origin
// it is served from: the shop serves this file from its own origin (a copy, or a proxy of the
// gateway's) and names that path to subscribe.js (data-service-worker).
//
// A push carries the JSON the push worker renders (channels/render.py): notification_id,
// title, body, url and tag. The tag is the order (or checkout) the message is about, so news of
// an order replaces the earlier notification of it instead of piling up; without one, the
// notification id. A second arrival of the same notification replaces it without alerting
// again. A click opens the url.
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function readPayload(data) {
  if (!data) return {};
  try {
    const parsed = data.json();
    return parsed && typeof parsed === "object" ? parsed : { body: String(parsed) };
  } catch (error) {
    return { body: data.text() };
  }
}

self.addEventListener("push", (event) => {
  event.waitUntil(show(readPayload(event.data)));
});

// The same notification can arrive twice (the push worker, killed after the push service took
// it but before it wrote that down, sends it again): it carries the same tag, so it replaces the
// first, and silently. Later news of the order replaces it too, and alerts again (renotify).
async function show(payload) {
  const id = payload.notification_id || "";
  const tag = payload.tag || id;
  const shown = tag ? await self.registration.getNotifications({ tag: tag }) : [];
  const again = shown.some((n) => n.data && n.data.notification_id === id);
  const options = {
    body: payload.body || "",
    tag: tag,
    renotify: shown.length > 0 && !again,
    data: { url: payload.url || "", notification_id: id },
  };
  return self.registration.showNotification(payload.title || "", options);
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = event.notification.data && event.notification.data.url;
  if (url) event.waitUntil(self.clients.openWindow(url));
});
