// aftercart's service worker: shows each web push as a notification.
//
// The gateway serves it at /push/sw.js, but a service worker only controls pages of the origin
// it is served from: the shop serves this file from its own origin (a copy, or a proxy of the
// gateway's) and names that path to subscribe.js (data-service-worker).
//
// A push carries the JSON the push worker renders (channels/render.py): notification_id,
// title, body, url and tag. The tag is the order (or checkout) the message is about, so news of
// an order replaces the earlier notification of it instead of piling up; without one, the
// notification id. A click opens the url.
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
  const payload = readPayload(event.data);
  const tag = payload.tag || payload.notification_id || "";
  const options = {
    body: payload.body || "",
    tag: tag,
    renotify: Boolean(tag),
    data: { url: payload.url || "", notification_id: payload.notification_id || "" },
  };
  event.waitUntil(self.registration.showNotification(payload.title || "", options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = event.notification.data && event.notification.data.url;
  if (url) event.waitUntil(self.clients.openWindow(url));
});
